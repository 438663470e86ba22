using System.CommandLine;
using ReproDiff.Reporting;
using ReproDiff.Reproduction;
using ReproDiff.Runtime;

namespace ReproDiff.Cli;

/// <summary>
/// <c>reprodiff verify</c>: the verification report (Markdown and an offline HTML page) of reproduce JSON files, grouped
/// paper → table → dataset with the stored verdicts. <c>--fail-unless-reproduced</c> fails only when a cell's verdict
/// differs from the one committed for it under papers/ (so an expected "below" passes and a newly broken "reproduced" fails).
/// </summary>
static class VerifyCommand
{
    public static Command Build()
    {
        var files = new Argument<string[]>("file") { Description = "Reproduce JSON files (default: the committed papers/*/reproduced-*.json).", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string?>("--out") { Description = "Report path without extension (default: artifacts/verify/report)." };
        var strict = new Option<bool>("--fail-unless-reproduced")
        {
            Description = "Exit 1 when a cell's verdict differs from the verdict committed for it under papers/ (a cell with none committed: when it is outside tolerance).",
        };
        var cmd = new Command("verify", "Gather reproduce JSON files into one report (Markdown, HTML with charts), verdicts as stored.") { files, output, strict };
        cmd.SetAction(parse =>
        {
            var repo = RepositoryLocator.FindRoot() ?? ".";
            var committedPaths = Committed(repo);
            var paths = parse.GetValue(files) is { Length: > 0 } given ? given : committedPaths;
            if (paths.Length == 0) throw new ReproDiffException("no reproduce JSON files given or found under papers/; run `reprodiff reproduce` first.");
            var report = Report(repo, paths); // loads and validates every file before anything is written
            var target = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(repo, "artifacts", "verify", "report"));
            AtomicFile.WriteAllText(target + ".md", report.ToMarkdown());
            AtomicFile.WriteAllText(target + ".html", report.ToHtmlPage());
            Console.WriteLine(report.HeadlineText + ".");
            Console.WriteLine($"report: {target}.md, {target}.html");
            if (!parse.GetValue(strict)) return 0;
            var changes = report.ChangesAgainst(new VerificationReport(committedPaths.Select(p => (p, ReproductionJson.Load(p)))));
            foreach (var c in changes) Console.Error.WriteLine($"verdict changed: {c.Key}: committed '{c.Committed}', now '{c.Now}' ({c.Source})");
            Console.WriteLine(changes.Count == 0 ? "every verdict equals the committed one." : $"{changes.Count} verdict(s) differ from the committed ones.");
            return changes.Count == 0 ? 0 : 1;
        });
        return cmd;
    }

    /// <summary>The report of <paramref name="paths"/> with the parity table of tests/fixtures/parity/README.md.</summary>
    internal static VerificationReport Report(string repo, IEnumerable<string> paths) =>
        new(paths.Select(p => (p, ReproductionJson.Load(p))).ToList(),
            VerificationReport.ReadParityTable(Path.Combine(repo, "tests", "fixtures", "parity", "README.md")),
            Comparisons(repo).Select(p => (p, Comparison.Load(p))).ToList());

    /// <summary>The committed comparison summaries: papers/comparison/&lt;family&gt;-&lt;dataset&gt;.json (not the .runs.json beside them, nor
    /// other files there such as a notebook run's summary).</summary>
    internal static string[] Comparisons(string repo)
    {
        var folder = Path.Combine(repo, "papers", "comparison");
        return Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*.json")
                .Where(p => Path.GetFileName(p) is var name && (name.StartsWith("user-item-", StringComparison.Ordinal) || name.StartsWith("next-item-", StringComparison.Ordinal))
                    && !name.EndsWith(".runs.json", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).ToArray()
            : [];
    }

    /// <summary>The committed result files: papers/*/reproduced-*.json.</summary>
    internal static string[] Committed(string repo) =>
        Directory.Exists(Path.Combine(repo, "papers"))
            ? Directory.GetFiles(Path.Combine(repo, "papers"), "reproduced-*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray()
            : [];
}
