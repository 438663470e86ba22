using System.CommandLine;
using System.Globalization;
using ReproDiff.Data;
using ReproDiff.Reporting;
using ReproDiff.Reproduction;
using Spectre.Console;

namespace ReproDiff.Cli;

/// <summary>
/// <c>reprodiff compare --family user-item|next-item</c>: every model of a family on one split, protocol and seed set
/// (<see cref="Comparison"/>), through the experiment runner. Per dataset it writes
/// <c>&lt;dir&gt;/&lt;family&gt;-&lt;dataset&gt;.runs.json</c> (the runs with per-user values; resumable), <c>.json</c> (the statistics)
/// and <c>.md</c> (the tables). While the family's models and seeds on a dataset are incomplete (<see cref="ComparisonReport.Missing"/>),
/// all three are written with a <c>.partial</c> suffix, so an incomplete table is never taken for the comparison. Without
/// <c>--models</c> a dataset runs the family's models less those the study skips there (<see cref="Study.Skipped"/>).
/// </summary>
static class CompareCommand
{
    public static Command Build()
    {
        var family = new Option<string>("--family") { Description = "user-item (ML-1M clean and noisy) or next-item (Beauty, Toys, Sports, Yelp).", Required = true };
        family.AcceptOnlyFromAmong(Comparison.Families);
        var model = new Option<string[]>("--models") { Description = "Models (default: the family's all, less those it skips on a dataset; the .md names them and why).", AllowMultipleArgumentsPerToken = true };
        var dataset = new Option<string[]>("--datasets") { Description = "Datasets (default: the family's all).", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string?>("--out-dir") { Description = "Folder for the results (default: papers/comparison for full, artifacts/compare for quick)." };
        var options = new StudyOptions();
        var cmd = new Command("compare", "Compare every model of a family on the same split, protocol and seeds: accuracy with intervals, paired tests, beyond-accuracy measures, costs.")
            { family, model, dataset, output };
        options.AddTo(cmd);
        cmd.SetAction((parse, cancel) =>
        {
            Cli.AnnounceStop(cancel);
            var fam = parse.GetValue(family)!;
            var study = Comparison.For(fam);
            var (prof, seedList, device, budget, resume, precision) = options.Read(parse);
            var named = parse.GetValue(model) is { Length: > 0 } ms ? ms : null;
            var datasets = parse.GetValue(dataset) is { Length: > 0 } ds ? ds : study.Datasets;
            foreach (var m in named ?? []) study.CheckModel(m);
            foreach (var d in datasets) if (!study.Datasets.Contains(d)) throw new ReproDiffException($"--datasets {d}: the {fam} family runs {string.Join(", ", study.Datasets)}.");
            var root = DataRoot.Resolve(parse.GetValue(Cli.DataOption));
            var repo = Runtime.RepositoryLocator.FindRoot() ?? ".";
            var dir = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(repo, prof == "full" ? Path.Combine("papers", "comparison") : Path.Combine("artifacts", "compare")));
            Directory.CreateDirectory(dir);
            var command = "reprodiff compare " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).SkipWhile(a => a != "compare").Skip(1));
            var log = new Runtime.SyncProgress<string>(line => Console.Error.WriteLine(line));
            foreach (var d in datasets)
            {
                var stem = StudyOptions.Stem(Path.Combine(dir, $"{fam}-{d}"), precision);
                // An incomplete comparison keeps every file under .partial (the runs stay resumable; nothing globbing *.json takes the summary for a result).
                var runs = Experiment.Run(study, named ?? Comparison.DefaultModels(study, d), [d], prof, seedList, root, device, command, log, cancel, budget,
                    stem + ".runs.json", resume, precision, complete: r => Comparison.Missing(r, d, study).Count == 0);
                var report = Comparison.Summarise(runs, fam, d, study);
                var incomplete = report.Missing is { Count: > 0 };
                var partial = incomplete ? ".partial" : "";
                Comparison.Save(report, stem + ".json" + partial);
                AtomicFile.WriteAllText(stem + ".md" + partial, Comparison.Markdown(report));
                if (!incomplete) foreach (var stale in new[] { ".json.partial", ".md.partial" }) File.Delete(stem + stale);
                Print(report);
                if (incomplete) Console.WriteLine($"incomplete: not yet run: {string.Join("; ", report.Missing!)}");
                if (report.NotRun is { Count: > 0 } notRun) Console.WriteLine($"not run on {d}: {string.Join("; ", notRun)}");
                Console.WriteLine($"wrote {stem}.json{partial}, {stem}.md{partial} and {stem}.runs.json{partial}");
            }
            if (prof == "quick") Console.WriteLine("quick profile: a smoke test of the pipeline, not a comparison to draw conclusions from. Use --profile full.");
            return Task.FromResult(0);
        });
        return cmd;
    }

    static void Print(ComparisonReport r)
    {
        var c = CultureInfo.InvariantCulture;
        var t = new Table().Border(TableBorder.Simple).Title($"{r.Family} on {r.Dataset}");
        var metrics = r.Rows[0].Metrics.Keys.ToList();
        t.AddColumn("model");
        foreach (var m in metrics) t.AddColumn(m);
        foreach (var m in Comparison.MeasureColumns) t.AddColumn(m.Label);
        t.AddColumn("s/epoch");
        foreach (var row in r.Rows)
            t.AddRow([Markup.Escape(row.Model + (row.Budgeted ? " (budgeted)" : "")),
                .. metrics.Select(m => FormattableString.Invariant($"{row.Metrics[m].Estimate:0.0000} ± {(row.Metrics[m].High - row.Metrics[m].Low) / 2:0.0000}")),
                .. Comparison.MeasureColumns.Select(m => row.Measures.TryGetValue(m.Key, out var v) ? v.Estimate.ToString("0.000", c) : "—"),
                row.Cost.SecondsPerEpoch?.ToString("0.00", c) ?? "—"]);
        Cli.Out.Write(t);
    }
}
