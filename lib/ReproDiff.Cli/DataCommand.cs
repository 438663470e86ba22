using System.CommandLine;
using ReproDiff.Data;
using Spectre.Console;

namespace ReproDiff.Cli;

/// <summary><c>reprodiff data list|verify</c>: the dataset cards and the checksum check of the data root.</summary>
static class DataCommand
{
    public static Command Build()
    {
        var data = new Command("data", "List, verify and fetch the benchmark datasets.");

        var list = new Command("list", "List the known datasets and whether the data root has them.");
        list.SetAction(parse =>
        {
            var root = DataRoot.Resolve(parse.GetValue(Cli.DataOption));
            var t = new Table().Border(TableBorder.Simple)
                .AddColumn("dataset").AddColumn("paper").AddColumn("task").AddColumn("users").AddColumn("items")
                .AddColumn("interactions").AddColumn("here");
            foreach (var c in DatasetCatalog.All)
                t.AddRow(c.Name, c.Paper, Markup.Escape(c.Task), $"{c.Users:N0}", $"{c.Items:N0}", $"{c.Interactions:N0}", root.Has(c) ? "yes" : "no");
            Cli.Out.Write(t);
            Cli.Out.WriteLine($"data root: {root.Path} ({root.Origin})");
            return 0;
        });

        var names = new Argument<string[]>("name") { Description = "Datasets to verify (default: every dataset present).", Arity = ArgumentArity.ZeroOrMore };
        var verify = new Command("verify", "Check size and sha256 of every file against the dataset cards.") { names };
        verify.SetAction(parse =>
        {
            var root = DataRoot.Resolve(parse.GetValue(Cli.DataOption));
            var wanted = parse.GetValue(names) ?? [];
            var cards = wanted.Length > 0 ? wanted.Select(DatasetCatalog.Get).ToList()
                : DatasetCatalog.All.Where(c => Directory.Exists(Path.Combine(root.Path, c.Name))).ToList();
            if (cards.Count == 0)
                throw new ReproDiffException($"no dataset folders under {root.Path} ({root.Origin}); pass --data or run `reprodiff data fetch NAME`.");
            var t = new Table().Border(TableBorder.Simple).AddColumn("dataset").AddColumn("file").AddColumn("status").AddColumn("detail");
            int failed = 0;
            foreach (var card in cards)
                foreach (var c in DatasetCatalog.Verify(card, root.Path))
                {
                    if (!c.Ok) failed++;
                    t.AddRow(c.Dataset, c.File, c.Ok ? "[green]ok[/]" : $"[red]{c.Status}[/]", Markup.Escape(c.Detail));
                }
            Cli.Out.Write(t);
            Cli.Out.WriteLine(failed == 0 ? $"{cards.Count} dataset(s) verified." : $"{failed} file(s) failed verification.");
            return failed == 0 ? 0 : 1;
        });

        var name = new Argument<string>("name") { Description = "Dataset to fetch (see `reprodiff data list`)." };
        var from = new Option<string?>("--from") { Description = "Base URL of a mirror in ReproDiff's layout ({url}/{dataset}/{file}); default: the authors' copy." };
        var fetch = new Command("fetch", "Download a dataset, convert it, verify its checksums and install it under the data root.") { name, from };
        fetch.SetAction(async (parse, cancel) =>
        {
            var card = DatasetCatalog.Get(parse.GetValue(name)!);
            // Fetch writes to --data or $REPRODIFF_DATA when given, else to data/cache (../shared/data is read-only).
            var explicitRoot = parse.GetValue(Cli.DataOption) ?? Environment.GetEnvironmentVariable(DataRoot.EnvironmentVariable);
            var root = explicitRoot is { Length: > 0 } ? DataRoot.Resolve(explicitRoot).Path
                : Path.Combine(Runtime.RepositoryLocator.FindRoot() ?? ".", "data", "cache");
            Directory.CreateDirectory(root);
            Uri? mirror = null;
            if (parse.GetValue(from) is { } url && !Uri.TryCreate(url, UriKind.Absolute, out mirror))
                throw new ReproDiffException($"--from {url}: not an absolute URL.");
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            string path = "";
            await AnsiConsole.Progress().AutoClear(false).StartAsync(async ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new Runtime.SyncProgress<FetchProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.File, out var t)) tasks[p.File] = t = ctx.AddTask(Markup.Escape(p.File), maxValue: p.Total ?? 1);
                    if (p.Total is { } total) t.MaxValue = total;
                    t.Value = p.Bytes;
                });
                path = await DataFetcher.FetchAsync(card, root, mirror, http, progress, cancel);
            });
            Cli.Out.WriteLine($"{card.Name}: verified against its card and installed at {path}");
            return 0;
        });

        data.Add(list);
        data.Add(verify);
        data.Add(fetch);
        return data;
    }
}
