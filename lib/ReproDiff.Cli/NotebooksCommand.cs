using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ReproDiff.Notebooks;
using ReproDiff.Runtime;
using Spectre.Console;

namespace ReproDiff.Cli;

/// <summary><c>reprodiff notebooks run</c> (each notebook in its own process) and the hidden <c>exec</c> that runs one in-process.</summary>
static class NotebooksCommand
{
    static readonly Option<string?> Profile = new("--profile") { Description = "quick (minutes on 2 CPU cores) or full (the papers' settings)." };
    static readonly Option<string[]> Params = new("--param") { Description = "Name=Value replacing a literal of the parameters cell (repeatable).", AllowMultipleArgumentsPerToken = false };

    public static Command Build()
    {
        Profile.AcceptOnlyFromAmong("quick", "full");
        var notebooks = new Command("notebooks", "Run the notebooks headlessly.");

        var paths = new Argument<string[]>("notebook") { Description = "Notebooks to run (default: every notebooks/*.ipynb).", Arity = ArgumentArity.ZeroOrMore };
        var outDir = new Option<string?>("--out-dir") { Description = "Where executed notebooks and the summary go (default: artifacts/notebooks)." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds per notebook before it is killed.", DefaultValueFactory = _ => 1800 };
        var run = new Command("run", "Run notebooks headlessly, each in its own process; write executed copies and a summary.")
            { paths, Profile, Params, outDir, timeout };
        run.SetAction(async (parse, cancel) =>
        {
            var repo = RepositoryLocator.FindRoot();
            var files = parse.GetValue(paths) is { Length: > 0 } given ? given.ToList()
                : repo is not null && Directory.Exists(Path.Combine(repo, "notebooks"))
                    ? Directory.GetFiles(Path.Combine(repo, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal).ToList()
                    : throw new ReproDiffException("no notebooks given and no notebooks/ folder found; pass notebook paths.");
            foreach (var f in files) if (!File.Exists(f)) throw new ReproDiffException($"{f}: notebook not found.");
            var parameters = NotebookParameters.ParsePairs(parse.GetValue(Params) ?? []);
            var dir = Path.GetFullPath(parse.GetValue(outDir) ?? Path.Combine(repo ?? ".", "artifacts", "notebooks"));
            Directory.CreateDirectory(dir);
            var profile = parse.GetValue(Profile);

            var results = new List<NotebookResult>();
            foreach (var f in files)
            {
                Cli.Out.MarkupLine($"[grey]running[/] {Markup.Escape(Path.GetFileName(f))} [grey](profile {profile ?? "as written"})[/]");
                var r = await NotebookProcess.RunAsync(f, new NotebookRunOptions
                {
                    Profile = profile, Parameters = parameters, OutputPath = Path.Combine(dir, Path.GetFileName(f)),
                }, TimeSpan.FromSeconds(parse.GetValue(timeout)), cancel: cancel);
                results.Add(r);
                Cli.Out.MarkupLine($"  {(r.Passed ? "[green]passed[/]" : "[red]failed[/]")} in {r.Seconds:F1} s");
            }
            WriteSummary(results, dir);
            foreach (var r in results.Where(r => !r.Passed)) Console.Error.WriteLine(r.Error);
            return results.All(r => r.Passed) ? 0 : 1;
        });

        var one = new Argument<string>("notebook");
        var outFile = new Option<string?>("--out") { Description = "Executed notebook path." };
        var resultFile = new Option<string?>("--result") { Description = "Where to write the run's result JSON." };
        var exec = new Command("exec", "Run one notebook in this process (used by `notebooks run`).") { one, Profile, Params, outFile, resultFile };
        exec.Hidden = true;
        exec.SetAction(async (parse, cancel) =>
        {
            var nb = parse.GetValue(one)!;
            NotebookResult result;
            try
            {
                result = await NotebookRunner.RunAsync(nb, new NotebookRunOptions
                {
                    Profile = parse.GetValue(Profile),
                    Parameters = NotebookParameters.ParsePairs(parse.GetValue(Params) ?? []),
                    OutputPath = parse.GetValue(outFile),
                }, cancel);
            }
            catch (ReproDiffException e)
            {
                result = new NotebookResult { Notebook = Path.GetFileName(nb), Status = "failed", Error = e.Message };
            }
            if (parse.GetValue(resultFile) is { } rf)
            {
                await File.WriteAllTextAsync(rf + ".tmp", JsonSerializer.Serialize(result, NotebookProcess.Json), cancel);
                File.Move(rf + ".tmp", rf, true);
            }
            else Console.WriteLine(JsonSerializer.Serialize(result, NotebookProcess.Json));
            return result.Passed ? 0 : 1;
        });

        notebooks.Add(run);
        notebooks.Add(exec);
        return notebooks;
    }

    static void WriteSummary(IReadOnlyList<NotebookResult> results, string dir)
    {
        static string Fmt(object v) => v switch
        {
            JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble().ToString("G4", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString("G4", CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
        var t = new Table().Border(TableBorder.Simple).AddColumn("notebook").AddColumn("cells").AddColumn("seconds").AddColumn("status").AddColumn("recorded results");
        var md = new System.Text.StringBuilder("| notebook | cells | seconds | status | recorded results |\n|---|---|---|---|---|\n");
        foreach (var r in results)
        {
            var rec = string.Join(", ", r.Results.Select(x => $"{x.Name}={Fmt(x.Value)}"));
            t.AddRow(Markup.Escape(r.Notebook), $"{r.CellsRun}/{r.CodeCells}", r.Seconds.ToString("F1", CultureInfo.InvariantCulture),
                r.Passed ? "[green]passed[/]" : "[red]failed[/]", Markup.Escape(rec));
            md.Append($"| {r.Notebook} | {r.CellsRun}/{r.CodeCells} | {r.Seconds:F1} | {r.Status} | {rec} |\n");
        }
        Cli.Out.Write(t);
        foreach (var (name, text) in new[] { ("summary.md", md.ToString()), ("summary.json", JsonSerializer.Serialize(results, NotebookProcess.Json)) })
        {
            var path = Path.Combine(dir, name);
            File.WriteAllText(path + ".tmp", text);
            File.Move(path + ".tmp", path, true);
        }
        Console.WriteLine($"executed notebooks and summary: {dir}");
    }
}
