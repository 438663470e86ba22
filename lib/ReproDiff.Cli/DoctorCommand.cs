using System.CommandLine;
using ReproDiff.Data;
using ReproDiff.Runtime;
using Spectre.Console;

namespace ReproDiff.Cli;

/// <summary><c>reprodiff doctor</c>: environment report, libtorch load check, data root and dataset checksums.</summary>
static class DoctorCommand
{
    public static Command Build()
    {
        var cmd = new Command("doctor", "Report the environment, whether libtorch loads, the data root and which datasets pass their checksums.");
        cmd.SetAction(parse =>
        {
            var console = Cli.Out;
            var torchError = TorchRuntime.ProbeLibTorch();
            var env = torchError is null ? EnvironmentReport.Capture() : null;

            var t = new Table().Border(TableBorder.Simple).AddColumn("item").AddColumn("value");
            if (env is not null) foreach (var (n, v) in env.Rows()) t.AddRow(Markup.Escape(n), Markup.Escape(v));
            t.AddRow("libtorch", torchError is null ? "[green]loaded[/], a training step ran" : "[red]FAILED[/]: " + Markup.Escape(torchError));
            var root = DataRoot.Resolve(parse.GetValue(Cli.DataOption));
            t.AddRow("data root", Markup.Escape($"{root.Path} ({root.Origin})"));
            console.Write(t);

            var ds = new Table().Border(TableBorder.Simple).AddColumn("dataset").AddColumn("paper").AddColumn("files").AddColumn("status");
            int bad = 0;
            foreach (var card in DatasetCatalog.All)
            {
                if (!Directory.Exists(Path.Combine(root.Path, card.Name)))
                {
                    ds.AddRow(card.Name, card.Paper, $"0/{card.Files.Count}", "not present");
                    continue;
                }
                var checks = DatasetCatalog.Verify(card, root.Path);
                var ok = checks.Count(c => c.Ok);
                if (ok != checks.Count) bad++;
                var status = ok == checks.Count ? "[green]checksums ok[/]"
                    : "[red]" + Markup.Escape(string.Join("; ", checks.Where(c => !c.Ok).Select(c => $"{c.File} {c.Status}"))) + "[/]";
                ds.AddRow(card.Name, card.Paper, $"{ok}/{checks.Count}", status);
            }
            console.Write(ds);
            return torchError is null && bad == 0 ? 0 : 1;
        });
        return cmd;
    }
}
