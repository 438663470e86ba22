using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ReproDiff.Reporting;

namespace ReproDiff.Reproduction;

/// <summary>How a stored verdict counts in the headline: never recomputed, only read.</summary>
public enum VerdictClass { Reproduced, OutsideTolerance, NotConverged, NotJudged, NoReference }

/// <summary>A stored cell with the file it came from.</summary>
public sealed record ReportCell(ReproducedCell Cell, string Source)
{
    /// <summary>ours / reported − 1, when the paper has a number.</summary>
    public double? Relative => Cell.Reported is { } r && r != 0 ? Cell.OursMean / r - 1 : null;
    /// <summary>The seed std relative to the reported value (the error bar of <see cref="Relative"/>).</summary>
    public double? RelativeStd => Cell.Reported is { } r && r != 0 ? Cell.OursStd / Math.Abs(r) : null;
    public VerdictClass Class => VerificationReport.Classify(Cell.Verdict);
    public string Key => $"{Cell.Paper}|{Cell.Dataset}|{Cell.Model}|{Cell.Metric}@{Cell.K}|{Cell.Protocol.Split(':')[0]}";
}

/// <summary>A committed verdict that a newer result file contradicts.</summary>
public sealed record VerdictChange(string Key, string Committed, string Now, string Source);

/// <summary>
/// The verification report (`reprodiff verify`): result files grouped paper → table → dataset, each group a wide
/// model × metric table (paper, ours mean ± std, relative difference, the verdict exactly as stored), a chart per paper of
/// ours / reported − 1 with error bars over seeds and the ±5% band shaded, a headline that separates reproduced, outside
/// tolerance, not converged (budgeted), not judged (quick) and no reference, and each file's provenance.
/// </summary>
public sealed class VerificationReport
{
    public IReadOnlyList<(string Path, ReproductionResult Result)> Files { get; }
    public IReadOnlyList<ReportCell> Cells { get; }

    /// <summary>Rows of the parity table (tests/fixtures/parity/README.md): which models agree with the authors' code.</summary>
    public IReadOnlyList<string[]> Parity { get; }

    /// <summary>The committed cross-model comparisons (papers/comparison/*.json): no verdicts, shown as tables beside the reproductions.</summary>
    public IReadOnlyList<(string Path, ComparisonReport Report)> Comparisons { get; }

    public VerificationReport(IEnumerable<(string Path, ReproductionResult Result)> files, IReadOnlyList<string[]>? parity = null,
        IEnumerable<(string Path, ComparisonReport Report)>? comparisons = null)
    {
        Parity = parity ?? [];
        Comparisons = comparisons?.ToList() ?? [];
        Files = files.ToList();
        Cells = Files.SelectMany(f => f.Result.Cells.Select(c => new ReportCell(c, f.Path))).ToList();
    }

    public static VerdictClass Classify(string verdict) =>
        verdict.Contains("not converged", StringComparison.Ordinal) || verdict.Contains("budget", StringComparison.Ordinal) ? VerdictClass.NotConverged
        : verdict == ResultRow.NotJudged ? VerdictClass.NotJudged
        : verdict == "reproduced" ? VerdictClass.Reproduced
        : verdict is "below" or "above" ? VerdictClass.OutsideTolerance
        : VerdictClass.NoReference;

    public IReadOnlyDictionary<VerdictClass, int> Headline =>
        Enum.GetValues<VerdictClass>().ToDictionary(c => c, c => Cells.Count(x => x.Class == c));

    public string HeadlineText
    {
        get
        {
            var h = Headline;
            return $"{h[VerdictClass.Reproduced]} reproduced, {h[VerdictClass.OutsideTolerance]} outside tolerance, " +
                   $"{h[VerdictClass.NotConverged]} not converged (stopped by a budget: no verdict), " +
                   (h[VerdictClass.NotJudged] > 0 ? $"{h[VerdictClass.NotJudged]} not judged (quick profile), " : "") +
                   $"{h[VerdictClass.NoReference]} without a reported value";
        }
    }

    /// <summary>
    /// Cells whose stored verdict differs from the verdict <paramref name="committed"/> holds for the same paper, dataset,
    /// model, metric and protocol. A cell with no committed counterpart counts as changed when it is outside tolerance.
    /// </summary>
    public IReadOnlyList<VerdictChange> ChangesAgainst(VerificationReport committed)
    {
        var before = committed.Cells.GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Last().Cell.Verdict);
        var changes = new List<VerdictChange>();
        foreach (var c in Cells)
        {
            if (before.TryGetValue(c.Key, out var old))
            {
                if (old != c.Cell.Verdict) changes.Add(new VerdictChange(c.Key, old, c.Cell.Verdict, c.Source));
            }
            else if (c.Class == VerdictClass.OutsideTolerance) changes.Add(new VerdictChange(c.Key, "(none committed)", c.Cell.Verdict, c.Source));
        }
        return changes;
    }

    static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
    static string Pct(double v) => (v >= 0 ? "+" : "−") + Math.Abs(100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%";
    static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>Groups: paper → table → dataset, in file order.</summary>
    public IEnumerable<IGrouping<(string Paper, string Table, string Dataset), ReportCell>> Groups() =>
        Cells.GroupBy(c => (c.Cell.Paper, c.Cell.Table, c.Cell.Dataset)).OrderBy(g => g.Key.Paper, StringComparer.Ordinal)
             .ThenBy(g => g.Key.Table.StartsWith("none", StringComparison.Ordinal) ? 1 : 0).ThenBy(g => g.Key.Table, StringComparer.Ordinal)
             .ThenBy(g => g.Key.Dataset, StringComparer.Ordinal);

    static List<string> Metrics(IEnumerable<ReportCell> cells) => cells.Select(c => $"{c.Cell.Metric}@{c.Cell.K}").Distinct().ToList();

    public string ToMarkdown()
    {
        var sb = new StringBuilder("# ReproDiff verification\n\n").Append(HeadlineText).Append(".\n\n")
            .Append("Verdicts are shown as stored in the result files. Reproduced: |ours − paper| ≤ max(5% of paper, 2 × std over seeds).\n");
        foreach (var paper in Groups().GroupBy(g => g.Key.Paper))
        {
            sb.Append($"\n## {paper.Key}\n");
            foreach (var g in paper)
            {
                sb.Append($"\n### {g.Key.Table} · {g.Key.Dataset}\n\n");
                var metrics = Metrics(g);
                sb.Append("| model | protocol | ").Append(string.Join(" | ", metrics)).Append(" | verdicts |\n|---|---|")
                  .Append(string.Concat(metrics.Select(_ => "---|"))).Append("---|\n");
                foreach (var row in g.GroupBy(c => (c.Cell.Model, Protocol: c.Cell.Protocol.Split(':')[0])))
                {
                    sb.Append($"| {row.Key.Model} | {row.Key.Protocol} |");
                    foreach (var m in metrics)
                    {
                        var c = row.FirstOrDefault(x => $"{x.Cell.Metric}@{x.Cell.K}" == m)?.Cell;
                        sb.Append(' ').Append(c is null ? "" : (c.Reported is { } r ? $"{F(r)} → " : "") + F(c.OursMean) + (c.Seeds.Count > 1 ? $" ± {F(c.OursStd)}" : "")).Append(" |");
                    }
                    sb.Append(' ').Append(string.Join("; ", row.Select(x => x.Cell.Verdict).Distinct())).Append(" |\n");
                }
            }
        }
        if (Parity.Count > 1)
        {
            sb.Append("\n## Parity with the authors' code\n\nGolden tests (tests/ReproDiff.Tests/Parity) match these outputs of the official code, float32 to 1e-5:\n\n");
            sb.Append("| ").Append(string.Join(" | ", Parity[0])).Append(" |\n|").Append(string.Concat(Parity[0].Select(_ => "---|"))).Append('\n');
            foreach (var row in Parity.Skip(1)) sb.Append("| ").Append(string.Join(" | ", row)).Append(" |\n");
        }
        foreach (var (path, r) in Comparisons)
        {
            sb.Append($"\n## Comparison: {r.Family} on {r.Dataset} ({r.Profile})\n\n").Append(ComparisonNote(r)).Append("\n\n");
            var rows = ComparisonRows(r);
            sb.Append("| ").Append(string.Join(" | ", rows[0])).Append(" |\n|").Append(string.Concat(rows[0].Select(_ => "---|"))).Append('\n');
            foreach (var row in rows.Skip(1)) sb.Append("| ").Append(string.Join(" | ", row)).Append(" |\n");
        }
        sb.Append("\n## Provenance\n\n| file | command | profile | commit | date | environment |\n|---|---|---|---|---|---|\n");
        foreach (var (path, r) in Files)
            sb.Append($"| {Path.GetFileName(path)} | `{r.Command}` | {r.Profile} | {Short(r.Environment.GitCommit)} | {r.Environment.Timestamp:yyyy-MM-dd} | {Env(r)} |\n");
        return sb.ToString();
    }

    /// <summary>
    /// The first Markdown table of the parity fixtures' README (header and rows, cells trimmed, backticks dropped): the
    /// one place that says which outputs of which official code our golden tests match.
    /// </summary>
    public static IReadOnlyList<string[]> ReadParityTable(string readme)
    {
        if (!File.Exists(readme)) return [];
        var rows = File.ReadLines(readme).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|'))
            .Where(l => !l.Replace("|", "").Replace("-", "").Trim().Equals(""))
            .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim().Replace("`", "")).ToArray()).ToList();
        return rows;
    }

    static string Short(string? commit) => commit is { Length: >= 7 } ? commit[..7] : commit ?? "—";
    static string Env(ReproductionResult r) =>
        $"{r.Environment.Os}; {r.Environment.DotNet}; TorchSharp {r.Environment.TorchSharp}, libtorch {r.Environment.LibTorch}, {r.Environment.Backend}, {r.Environment.Threads} threads";

    /// <summary>One chart per paper: ours / reported − 1 per cell with ±std/reported error bars, the ±5% band shaded, not-converged cells apart.</summary>
    public IEnumerable<Figure> Charts()
    {
        foreach (var paper in Cells.Where(c => c.Relative is not null).GroupBy(c => c.Cell.Paper))
        {
            var cells = paper.ToList();
            string Label(ReportCell c) => $"{c.Cell.Model} · {c.Cell.Dataset.Replace("diffrec-", "").Replace("diffurec-", "")} · {c.Cell.Metric}@{c.Cell.K}";
            var data = new JsonArray();
            foreach (var (name, colour, pick) in new (string, string, Func<ReportCell, bool>)[]
                     {
                         ("reproduced", "#1a7f37", c => c.Class == VerdictClass.Reproduced),
                         ("outside tolerance", "#cf222e", c => c.Class == VerdictClass.OutsideTolerance),
                         ("not converged (budget)", "#9a6700", c => c.Class == VerdictClass.NotConverged),
                         ("not judged (quick)", "#8c959f", c => c.Class == VerdictClass.NotJudged),
                     })
            {
                var subset = cells.Where(pick).ToList();
                if (subset.Count == 0) continue;
                data.Add(new JsonObject
                {
                    ["type"] = "scatter", ["mode"] = "markers", ["name"] = name, ["orientation"] = "h",
                    ["x"] = new JsonArray(subset.Select(c => (JsonNode?)JsonValue.Create(c.Relative!.Value)).ToArray()),
                    ["y"] = new JsonArray(subset.Select(c => (JsonNode?)JsonValue.Create(Label(c))).ToArray()),
                    ["error_x"] = new JsonObject { ["type"] = "data", ["visible"] = true, ["array"] = new JsonArray(subset.Select(c => (JsonNode?)JsonValue.Create(c.RelativeStd!.Value)).ToArray()) },
                    ["marker"] = new JsonObject { ["color"] = colour, ["size"] = 9, ["symbol"] = name.StartsWith("not converged", StringComparison.Ordinal) ? "diamond-open" : "circle" },
                });
            }
            var labels = cells.Select(Label).Distinct().ToList();
            var layout = new JsonObject
            {
                ["title"] = new JsonObject { ["text"] = $"{paper.Key}: ours / paper − 1 (error bars: std over seeds / paper; band: ±5%)" },
                ["width"] = 900, ["height"] = Math.Max(320, 26 * labels.Count + 140),
                ["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "relative difference to the paper" }, ["tickformat"] = "+.0%", ["zeroline"] = true, ["automargin"] = true },
                ["yaxis"] = new JsonObject { ["type"] = "category", ["automargin"] = true, ["categoryorder"] = "array", ["categoryarray"] = new JsonArray(labels.Select(l => (JsonNode?)JsonValue.Create(l)).Reverse().ToArray()) },
                ["shapes"] = new JsonArray(new JsonObject
                {
                    ["type"] = "rect", ["xref"] = "x", ["yref"] = "paper", ["x0"] = -ResultRow.RelativeTolerance, ["x1"] = ResultRow.RelativeTolerance,
                    ["y0"] = 0, ["y1"] = 1, ["fillcolor"] = "rgba(26,127,55,0.12)", ["line"] = new JsonObject { ["width"] = 0 }, ["layer"] = "below",
                }),
                ["legend"] = new JsonObject { ["orientation"] = "h", ["y"] = -0.12 },
                ["margin"] = new JsonObject { ["l"] = 10, ["r"] = 20, ["t"] = 60 },
            };
            yield return new Figure(data, layout);
        }
    }

    /// <summary>The HTML body (no page shell): headline, charts, grouped tables, provenance.</summary>
    public string ToHtmlBody()
    {
        var h = Headline;
        var sb = new StringBuilder("<h1>ReproDiff verification</h1>");
        sb.Append("<div class=\"headline\">")
          .Append($"<span class=\"ok\">{h[VerdictClass.Reproduced]} reproduced</span>")
          .Append($"<span class=\"bad\">{h[VerdictClass.OutsideTolerance]} outside tolerance</span>")
          .Append($"<span class=\"warn\">{h[VerdictClass.NotConverged]} not converged (budget; no verdict)</span>")
          .Append(h[VerdictClass.NotJudged] > 0 ? $"<span class=\"muted\">{h[VerdictClass.NotJudged]} not judged (quick)</span>" : "")
          .Append($"<span class=\"muted\">{h[VerdictClass.NoReference]} no reference</span></div>")
          .Append("<p>Verdicts are shown exactly as stored in the result files. Reproduced: |ours − paper| ≤ max(5% of paper, 2 × std over seeds). ")
          .Append("A cell stopped by a time budget has not converged and gets no verdict; a cell the paper has no number for has no reference.</p>");
        foreach (var chart in Charts()) sb.Append(Plots.Html(chart));
        foreach (var paper in Groups().GroupBy(g => g.Key.Paper))
        {
            sb.Append($"<h2 id=\"{E(paper.Key)}\">{E(paper.Key)}</h2>");
            foreach (var g in paper)
            {
                sb.Append($"<h3>{E(g.Key.Table)} · {E(g.Key.Dataset)}</h3>");
                var metrics = Metrics(g);
                sb.Append("<table class=\"verify\"><thead><tr><th rowspan=\"2\">model</th><th rowspan=\"2\">protocol</th>");
                foreach (var m in metrics) sb.Append($"<th colspan=\"3\">{E(m)}</th>");
                sb.Append("<th rowspan=\"2\">verdict</th></tr><tr>");
                foreach (var _ in metrics) sb.Append("<th>paper</th><th>ours</th><th>Δ</th>");
                sb.Append("</tr></thead><tbody>");
                foreach (var row in g.GroupBy(c => (c.Cell.Model, Protocol: c.Cell.Protocol.Split(':')[0])))
                {
                    var verdicts = row.Select(x => x.Cell.Verdict).Distinct().ToList();
                    var cls = row.Select(x => x.Class).Distinct().ToList();
                    sb.Append($"<tr><td>{E(row.Key.Model)}</td><td>{E(row.Key.Protocol)}</td>");
                    foreach (var m in metrics)
                    {
                        var c = row.FirstOrDefault(x => $"{x.Cell.Metric}@{x.Cell.K}" == m);
                        if (c is null) { sb.Append("<td></td><td></td><td></td>"); continue; }
                        sb.Append($"<td>{(c.Cell.Reported is { } r ? F(r) : "—")}</td>")
                          .Append($"<td class=\"{Css(c.Class)}\">{F(c.Cell.OursMean)}{(c.Cell.Seeds.Count > 1 ? $" ± {F(c.Cell.OursStd)}" : "")}</td>")
                          .Append($"<td>{(c.Relative is { } d ? Pct(d) : "")}</td>");
                    }
                    sb.Append($"<td class=\"{(cls.Count == 1 ? Css(cls[0]) : "")}\">{E(string.Join("; ", verdicts))}</td></tr>");
                }
                sb.Append("</tbody></table>");
            }
        }
        if (Parity.Count > 1)
        {
            sb.Append("<h2 id=\"parity\">Parity with the authors' code</h2><p>Golden tests (tests/ReproDiff.Tests/Parity) match these outputs of the official code, float32 to 1e-5.</p><table class=\"verify parity\"><thead><tr>");
            foreach (var header in Parity[0]) sb.Append($"<th>{E(header)}</th>");
            sb.Append("</tr></thead><tbody>");
            foreach (var row in Parity.Skip(1)) sb.Append("<tr>").Append(string.Concat(row.Select(c => $"<td>{E(c)}</td>"))).Append("</tr>");
            sb.Append("</tbody></table>");
        }
        foreach (var (path, r) in Comparisons)
        {
            sb.Append($"<h2>Comparison: {E(r.Family)} on {E(r.Dataset)} ({E(r.Profile)})</h2><p>{E(ComparisonNote(r))}</p><table class=\"verify\"><thead><tr>");
            var rows = ComparisonRows(r);
            foreach (var header in rows[0]) sb.Append($"<th>{E(header)}</th>");
            sb.Append("</tr></thead><tbody>");
            foreach (var row in rows.Skip(1)) sb.Append("<tr>").Append(string.Concat(row.Select(c => $"<td>{E(c)}</td>"))).Append("</tr>");
            sb.Append("</tbody></table>");
        }
        sb.Append("<h2 id=\"provenance\">Provenance</h2><table class=\"verify\"><thead><tr><th>file</th><th>command</th><th>profile</th><th>commit</th><th>date</th><th>environment</th></tr></thead><tbody>");
        foreach (var (path, r) in Files)
            sb.Append($"<tr><td>{E(Path.GetFileName(path))}</td><td><code>{E(r.Command)}</code></td><td>{E(r.Profile)}</td><td>{E(Short(r.Environment.GitCommit))}</td><td>{r.Environment.Timestamp:yyyy-MM-dd}</td><td>{E(Env(r))}</td></tr>");
        return sb.Append("</tbody></table>").ToString();
    }

    static string ComparisonNote(ComparisonReport r) =>
        $"No paper reports these; no verdicts. Mean over seeds {string.Join(", ", r.Seeds)} ± half the 95% t-interval (a row with one seed has none), protocol {r.Protocol.Split(':')[0]}; " +
        $"\"vs best\": the paired test of each row against the best row on {r.Primary} (Holm-corrected). Commit {Short(r.Environment.GitCommit)}; full tables in the .md beside the JSON.";

    /// <summary>Header and rows of a comparison's compact table: accuracy, coverage, cost, and the test against the best row.</summary>
    static List<string[]> ComparisonRows(ComparisonReport r)
    {
        var c = CultureInfo.InvariantCulture;
        var metrics = r.Rows[0].Metrics.Keys.ToList();
        var best = r.Rows[0].Model;
        string[] header = ["model", .. metrics, "coverage@20", "s/epoch", $"vs {best}"];
        var table = new List<string[]> { header };
        foreach (var row in r.Rows)
        {
            var t = r.Significance.FirstOrDefault(x => (x.A == best && x.B == row.Model) || (x.B == best && x.A == row.Model));
            table.Add([row.Model + (row.Budgeted ? " (budgeted)" : ""),
                .. metrics.Select(m => Comparison.OverSeeds(row.Metrics[m], row.Seeds.Count)),
                row.Measures.TryGetValue("Coverage@20", out var cov) ? cov.Estimate.ToString("0.000", c) : "—",
                row.Cost.SecondsPerEpoch?.ToString("0.00", c) ?? "—",
                t is null ? "" : t.Significant ? $"worse (p = {t.PHolm.ToString("G2", c)})" : $"not significant (p = {t.PHolm.ToString("G2", c)})"]);
        }
        return table;
    }

    static string Css(VerdictClass c) => c switch
    {
        VerdictClass.Reproduced => "ok", VerdictClass.OutsideTolerance => "bad", VerdictClass.NotConverged => "warn", _ => "muted",
    };

    /// <summary>Styles of the headline and tables (shared by the standalone page and the book).</summary>
    public const string Style = """
        .headline span { display: inline-block; margin: 0 .5rem .5rem 0; padding: .3rem .7rem; border-radius: 1rem; font-weight: 600; }
        .headline .ok { background: #dafbe1; } .headline .bad { background: #ffebe9; } .headline .warn { background: #fff8c5; } .headline .muted { background: #eaeef2; }
        table.verify { border-collapse: collapse; font-size: 13px; margin: .5rem 0 1.5rem; }
        table.verify th, table.verify td { border: 1px solid #d0d7de; padding: .2rem .45rem; text-align: right; white-space: nowrap; }
        table.verify td:first-child, table.verify td:nth-child(2) { text-align: left; } table.verify th { background: #f6f8fa; }
        table.parity td { text-align: left; white-space: normal; vertical-align: top; }
        td.ok { background: #dafbe1; } td.bad { background: #ffebe9; } td.warn { background: #fff8c5; } td.muted { color: #57606a; }
        """;

    /// <summary>A standalone offline page.</summary>
    public string ToHtmlPage() => Plots.Standalone(
        $"<style>body {{ font: 15px/1.5 system-ui, sans-serif; color: #1f2328; max-width: 1200px; margin: 1rem auto; padding: 0 1rem; }}\n{Style}</style>{ToHtmlBody()}",
        "ReproDiff verification");
}
