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
        var profile = new Option<string>("--profile") { Description = "quick (a few epochs) or full (the paper's schedule).", DefaultValueFactory = _ => "full" };
        profile.AcceptOnlyFromAmong("quick", "full");
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds.", DefaultValueFactory = _ => "1,2,3" };
        var output = new Option<string?>("--out") { Description = "JSON file to write (default: artifacts/reproduce/<paper>-<profile>.json)." };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };
        var budget = new Option<double?>("--budget-minutes") { Description = "Cap each seed's training time; the JSON records the stop reason and the cells say 'not converged'." };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run of the same --out: finished seeds are reused, an unfinished seed continues from its last checkpoint." };
        var strict = new Option<bool>("--fail-unless-reproduced") { Description = "Exit 1 when a cell with a reported value is not 'reproduced' (for CI)." };
        var cmd = new Command("reproduce", "Train and evaluate a paper's models and write the reported-versus-ours JSON.")
            { paper, model, dataset, profile, seeds, output, device, budget, resume, strict };
        cmd.SetAction((parse, cancel) =>
        {
            var id = parse.GetValue(paper)!;
            var study = id switch
            {
                Wang2023.Paper => Wang2023.Study,
                Li2023.Paper => Li2023.Study,
                Du2023.Paper => Du2023.Study,
                _ => throw new ReproDiffException($"reproduce {id}: unknown paper; available: {Wang2023.Paper}, {Li2023.Paper}, {Du2023.Paper}."),
            };
            var seedList = ParseSeeds(parse.GetValue(seeds)!);
            var models = parse.GetValue(model) is { Length: > 0 } ms ? ms : study.Models;
            var datasets = parse.GetValue(dataset) is { Length: > 0 } ds ? ds : study.Datasets;
            var minutes = parse.GetValue(budget);
            if (minutes is <= 0) throw new ReproDiffException($"--budget-minutes {minutes}: must be positive.");
            var prof = parse.GetValue(profile)!;
            var root = DataRoot.Resolve(parse.GetValue(Cli.DataOption));
            var command = "reprodiff reproduce " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).SkipWhile(a => a != "reproduce").Skip(1));
            var log = new Runtime.SyncProgress<string>(line => Console.Error.WriteLine(line));
            var path = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(Runtime.RepositoryLocator.FindRoot() ?? ".", "artifacts", "reproduce", $"{id}-{prof}.json"));
            var result = Experiment.Run(study, models, datasets, prof, seedList, root, parse.GetValue(device)!, command, log, cancel,
                minutes is { } b ? TimeSpan.FromMinutes(b) : null, path, parse.GetValue(resume));

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

    internal static int[] ParseSeeds(string text)
    {
        try { return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new ReproDiffException($"--seeds {text}: expected comma-separated integers, e.g. 1,2,3."); }
    }
}
