using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ReproDiff.Notebooks;
using ReproDiff.Runtime;
using Spectre.Console;

namespace ReproDiff.Cli;

/// <summary>
/// <c>reprodiff notebooks setup</c> (publish the library for the kernel, restore the kernel tools), <c>run</c> (each notebook
/// in its own process, in our runner or with <c>--kernel</c> in the real .NET Interactive kernel) and the hidden <c>exec</c>
/// that runs one in-process.
/// </summary>
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
        var html = new Option<bool>("--html") { Description = "Also write the book of the executed chapters (index and one HTML page each) into <out-dir>/book." };
        var kernel = new Option<bool>("--kernel") { Description = "Run in the real .NET Interactive kernel (dotnet-repl) instead of our runner; needs `notebooks setup`." };
        var run = new Command("run", "Run notebooks headlessly, each in its own process; write executed copies and a summary.")
            { paths, Profile, Params, outDir, timeout, kernel, html };
        run.SetAction(async (parse, cancel) =>
        {
            var repo = RepositoryLocator.FindRoot();
            var files = parse.GetValue(paths) is { Length: > 0 } given ? given.ToList()
                : repo is not null && Directory.Exists(Path.Combine(repo, "notebooks"))
                    ? Directory.GetFiles(Path.Combine(repo, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal).ToList()
                    : throw new ReproDiffException("no notebooks given and no notebooks/ folder found; pass notebook paths.");
            foreach (var f in files) if (!File.Exists(f)) throw new ReproDiffException($"{f}: notebook not found.");
            var parameters = NotebookParameters.ParsePairs(parse.GetValue(Params) ?? []);
            var profile = parse.GetValue(Profile);
            // Validate every parameter against every notebook before anything runs or is written (a bad value exits 2).
            foreach (var f in files) NotebookParameters.Apply(NotebookDocument.Load(f), new NotebookRunOptions { Profile = profile, Parameters = parameters });
            var useKernel = parse.GetValue(kernel);
            if (useKernel) SetupCheck(repo);
            var dir = Path.GetFullPath(parse.GetValue(outDir) ?? Path.Combine(repo ?? ".", "artifacts", useKernel ? "notebooks-kernel" : "notebooks"));
            Directory.CreateDirectory(dir);

            var results = new List<NotebookResult>();
            foreach (var f in files)
            {
                Cli.Out.MarkupLine($"[grey]running[/] {Markup.Escape(Path.GetFileName(f))} [grey](profile {profile ?? "as written"}, {(useKernel ? "real kernel" : "runner")})[/]");
                var options = new NotebookRunOptions { Profile = profile, Parameters = parameters, OutputPath = Path.Combine(dir, Path.GetFileName(f)) };
                var limit = TimeSpan.FromSeconds(parse.GetValue(timeout));
                var r = useKernel ? await KernelRunner.RunAsync(f, options, limit, cancel) : await NotebookProcess.RunAsync(f, options, limit, cancel: cancel);
                results.Add(r);
                Cli.Out.MarkupLine($"  {(r.Passed ? "[green]passed[/]" : "[red]failed[/]")} in {r.Seconds:F1} s");
            }
            WriteSummary(results, dir);
            if (parse.GetValue(html))
            {
                var katex = await NotebookSetup.KatexAsync(repo ?? throw new ReproDiffException("--html needs a ReproDiff checkout (tools/book)."), cancel);
                var executed = results.Where(r => r.ExecutedPath is not null && File.Exists(r.ExecutedPath)).Select(r => r.ExecutedPath!).ToList();
                Book.Write(executed, Path.Combine(dir, "book"), katex, VerificationPage(repo));
                Console.WriteLine($"book: {Path.Combine(dir, "book", "index.html")}");
            }
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

        var setup = new Command("setup", "Publish the library into artifacts/notebook (what the notebooks' setup cell loads) and restore the kernel tools.");
        setup.SetAction(async (parse, cancel) =>
        {
            var repo = RepositoryLocator.FindRoot() ?? throw new ReproDiffException("`notebooks setup` runs inside a ReproDiff checkout.");
            foreach (var (what, args) in NotebookSetup.Steps(repo))
            {
                Cli.Out.MarkupLine($"[grey]{Markup.Escape(what)}[/]");
                var (code, output) = await NotebookSetup.RunAsync(repo, args, cancel);
                if (code != 0) { Console.Error.WriteLine(output); Console.Error.WriteLine($"reprodiff: {what} failed (exit code {code})."); return 1; }
            }
            Console.WriteLine($"notebooks ready: {Path.Combine(NotebookSetup.PublishFolder(repo), "ReproDiff.dll")}; open notebooks/ in VS Code or Jupyter, or run `reprodiff notebooks run --kernel`.");
            return 0;
        });

        var from = new Option<string?>("--from") { Description = "Folder of executed notebooks (default: artifacts/notebooks, written by `notebooks run`)." };
        var bookOut = new Option<string?>("--out") { Description = "Book folder (default: <from>/book)." };
        var book = new Command("book", "Write the book of executed chapters: an index and one HTML page per notebook, maths and charts offline.") { from, bookOut };
        book.SetAction(async (parse, cancel) =>
        {
            var repo = RepositoryLocator.FindRoot() ?? throw new ReproDiffException("`notebooks book` runs inside a ReproDiff checkout (tools/book holds KaTeX).");
            var source = Path.GetFullPath(parse.GetValue(from) ?? Path.Combine(repo, "artifacts", "notebooks"));
            if (!Directory.Exists(source)) throw new ReproDiffException($"--from {source}: folder not found; run `reprodiff notebooks run` first.");
            var executed = Directory.GetFiles(source, "*.ipynb").Order(StringComparer.Ordinal).ToList();
            var target = parse.GetValue(bookOut) ?? Path.Combine(source, "book");
            var pages = Book.Write(executed, target, await NotebookSetup.KatexAsync(repo, cancel), VerificationPage(repo));
            foreach (var p in pages) Console.WriteLine($"{p.File}: {p.Title} ({p.Sections.Count} sections, {p.Charts} charts, {p.Errors} errors)");
            Console.WriteLine($"book: {Path.Combine(Path.GetFullPath(target), "index.html")}");
            return 0;
        });

        notebooks.Add(setup);
        notebooks.Add(book);
        notebooks.Add(run);
        notebooks.Add(exec);
        return notebooks;
    }

    /// <summary>The verification report of the committed results as a page of the book (none when nothing is committed).</summary>
    static IReadOnlyList<ExtraPage> VerificationPage(string repo)
    {
        var files = VerifyCommand.Committed(repo);
        if (files.Length == 0) return [];
        var report = VerifyCommand.Report(repo, files);
        return [new ExtraPage("Verification: the papers' numbers against ours", "verification.html", $"<style>{Reproduction.VerificationReport.Style}</style>{report.ToHtmlBody()}")];
    }

    static void SetupCheck(string? repo)
    {
        if (repo is null || !File.Exists(Path.Combine(NotebookSetup.PublishFolder(repo), "ReproDiff.dll")))
            throw new ReproDiffException("--kernel: the library is not published for the notebooks; run `reprodiff notebooks setup` first.");
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
        // In logs and CI (output redirected) the Markdown table: one line per notebook, never wrapped at 80 columns.
        if (Console.IsOutputRedirected) Console.Write(md.ToString());
        else Cli.Out.Write(t);
        foreach (var (name, text) in new[] { ("summary.md", md.ToString()), ("summary.json", JsonSerializer.Serialize(results, NotebookProcess.Json)) })
        {
            var path = Path.Combine(dir, name);
            File.WriteAllText(path + ".tmp", text);
            File.Move(path + ".tmp", path, true);
        }
        Console.WriteLine($"executed notebooks and summary: {dir}");
    }
}
