using System.CommandLine;
using ReproDiff.Reporting;
using ReproDiff.Reproduction;
using ReproDiff.Runtime;

namespace ReproDiff.Cli;

/// <summary><c>reprodiff verify</c>: gathers reproduce JSON files into one Markdown/HTML report with a chart, reported beside ours.</summary>
static class VerifyCommand
{
    public static Command Build()
    {
        var files = new Argument<string[]>("file") { Description = "Reproduce JSON files (default: papers/*/reproduced-*.json).", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string?>("--out") { Description = "Report path without extension (default: artifacts/verify/report)." };
        var strict = new Option<bool>("--fail-unless-reproduced") { Description = "Exit 1 when a cell with a reported value is not 'reproduced'." };
        var cmd = new Command("verify", "Gather reproduced JSON files into one report (Markdown, HTML, chart) with verdicts.") { files, output, strict };
        cmd.SetAction(parse =>
        {
            var repo = RepositoryLocator.FindRoot() ?? ".";
            var paths = parse.GetValue(files) is { Length: > 0 } given ? given
                : Directory.Exists(Path.Combine(repo, "papers")) ? Directory.GetFiles(Path.Combine(repo, "papers"), "reproduced-*.json", SearchOption.AllDirectories).Order().ToArray() : [];
            if (paths.Length == 0) throw new ReproDiffException("no reproduce JSON files given or found under papers/; run `reprodiff reproduce` first.");
            var results = paths.Select(p => (Path: p, Result: ReproductionJson.Load(p))).ToList();
            var rows = results.SelectMany(r => ReproductionJson.Rows(r.Result)).ToList();
            var table = new ResultTable(rows);
            var target = parse.GetValue(output) ?? Path.Combine(repo, "artifacts", "verify", "report");
            var withRef = rows.Where(r => r.Reported is not null).ToList();
            var chart = Plots.Bars("Reported against reproduced", "value",
                withRef.Select(r => $"{r.Model} {r.Dataset} {r.Metric}@{r.K}").ToList(),
                [("reported", withRef.Select(r => r.Reported!.Value).ToList()), ("ours (mean)", withRef.Select(r => r.OursMean).ToList())]);
            var summary = $"{rows.Count(r => r.Verdict == "reproduced")} reproduced, {rows.Count(r => r.Verdict is "below" or "above")} not reproduced, " +
                          $"{rows.Count(r => r.Verdict == "no reference")} without a reported value";
            var md = $"# ReproDiff verification\n\n{summary}.\n\nSources: {string.Join(", ", results.Select(r => Path.GetRelativePath(repo, r.Path)))}\n\n" +
                     $"Verdict: reproduced when |ours − reported| ≤ max(5% of reported, 2 × std over seeds).\n\n{table.ToMarkdown()}";
            AtomicFile.WriteAllText(target + ".md", md);
            AtomicFile.WriteAllText(target + ".html", Plots.Standalone($"<h1>ReproDiff verification</h1><p>{summary}.</p>{table.ToHtml()}{Plots.Html(chart)}"));
            Console.Write(md);
            Console.WriteLine($"\nreport: {target}.md, {target}.html");
            return parse.GetValue(strict) && rows.Any(r => r.Verdict is "below" or "above") ? 1 : 0;
        });
        return cmd;
    }
}
