using System.CommandLine;
using System.Globalization;
using ReproDiff.Data;
using ReproDiff.Reporting;
using ReproDiff.Reproduction;
using Spectre.Console;

namespace ReproDiff.Cli;

/// <summary><c>reprodiff reproduce PAPER</c>: train and evaluate, then write the reported-versus-ours JSON (design.md §5).</summary>
static class ReproduceCommand
{
    public static Command Build()
    {
        var paper = new Argument<string>("paper") { Description = "wang2023, li2023 or du2023." };
        var model = new Option<string[]>("--model") { Description = "Models (default: all the paper's supported models).", AllowMultipleArgumentsPerToken = true };
        var dataset = new Option<string[]>("--dataset") { Description = "Datasets (default: all the paper's datasets here).", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string?>("--out") { Description = "JSON file to write (default: artifacts/reproduce/<paper>-<profile>.json, <paper>-<profile>-bf16.json for bf16)." };
        var strict = new Option<bool>("--fail-unless-reproduced") { Description = "Exit 1 when a cell with a reported value is not 'reproduced' (for CI)." };
        var import = new Option<string[]>("--import")
        {
            Description = "Result or runs files of this paper's earlier runs (its committed results), or of another study whose runs of these models are " +
                          "this paper's own (du2023 takes the next-item comparison's): a seed found there with the same dataset, profile, budget and precision " +
                          "is taken instead of trained, marked with the file that trained it; its tests under protocols that study does not run are absent.",
            AllowMultipleArgumentsPerToken = true,
        };
        var study = new StudyOptions();
        var cmd = new Command("reproduce", "Train and evaluate a paper's models and write the reported-versus-ours JSON.") { paper, model, dataset, output, strict, import };
        study.AddTo(cmd);
        cmd.SetAction((parse, cancel) =>
        {
            Cli.AnnounceStop(cancel);
            var id = parse.GetValue(paper)!;
            var declared = id switch
            {
                Wang2023.Paper => Wang2023.Study,
                Li2023.Paper => Li2023.Study,
                Du2023.Paper => Du2023.Study,
                _ => throw new ReproDiffException($"reproduce {id}: unknown paper; available: {Wang2023.Paper}, {Li2023.Paper}, {Du2023.Paper}."),
            };
            var (prof, seedList, device, budget, resume, precision) = study.Read(parse);
            var models = parse.GetValue(model) is { Length: > 0 } ms ? ms : declared.Models;
            var datasets = parse.GetValue(dataset) is { Length: > 0 } ds ? ds : declared.Datasets;
            var root = DataRoot.Resolve(parse.GetValue(Cli.DataOption));
            var command = "reprodiff reproduce " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).SkipWhile(a => a != "reproduce").Skip(1));
            var log = new Runtime.SyncProgress<string>(line => Console.Error.WriteLine(line));
            var path = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(Runtime.RepositoryLocator.FindRoot() ?? ".", "artifacts", "reproduce", StudyOptions.Stem($"{id}-{prof}", precision) + ".json"));
            var result = Experiment.Run(declared, models, datasets, prof, seedList, root, device, command, log, cancel, budget, path, resume, precision,
                imports: parse.GetValue(import) ?? []);

            var t = new Table().Border(TableBorder.Simple);
            foreach (var h in new[] { "dataset", "model", "protocol", "metric", "reported", "ours (mean ± std)", "verdict" }) t.AddColumn(h);
            foreach (var c in result.Cells)
                t.AddRow(c.Dataset, c.Model, c.Protocol.Split(':')[0], $"{c.Metric}@{c.K}", c.Reported?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "—",
                    $"{c.OursMean:0.0000} ± {c.OursStd:0.0000}", c.Verdict == "reproduced" ? "[green]reproduced[/]" : c.Verdict is "no reference" or ResultRow.NotJudged ? Markup.Escape(c.Verdict) : $"[red]{Markup.Escape(c.Verdict)}[/]");
            Cli.Out.Write(t);
            if (prof == "quick") Console.WriteLine("quick profile: a smoke test of the pipeline on real data, not a reproduction; no verdicts. Use --profile full.");
            Console.WriteLine($"wrote {path}");
            var failed = result.Cells.Count(c => c.Reported is not null && c.Verdict != "reproduced" && c.Verdict != ResultRow.NotJudged);
            return Task.FromResult(parse.GetValue(strict) && failed > 0 ? 1 : 0);
        });
        return cmd;
    }
}
