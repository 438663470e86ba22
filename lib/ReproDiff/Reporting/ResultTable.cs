using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Data.Analysis;

namespace ReproDiff.Reporting;

/// <summary>
/// One reported-versus-ours cell (design.md §5). <see cref="Verdict"/>: <c>reproduced</c> when
/// |ours_mean − reported| ≤ max(5% of reported, 2·ours_std), else <c>below</c> or <c>above</c>; <c>no reference</c> when
/// the paper reports no number for this cell (e.g. T-DiffRec on ML-1M).
/// </summary>
public sealed record ResultRow(
    string Paper, string Table, string Dataset, string Model, string Metric, int K,
    double? Reported, double OursMean, double OursStd, IReadOnlyList<int> Seeds, string Protocol, string? StoredVerdict = null)
{
    public const double RelativeTolerance = 0.05;

    /// <summary>The verdict of a quick-profile cell: a few epochs on the real data are a smoke test, never a reproduction.</summary>
    public const string NotJudged = "not judged (quick profile)";

    /// <summary>The verdict to store for a run of <paramref name="profile"/>: <see cref="Verdict"/> in full, <see cref="NotJudged"/> in quick.</summary>
    public string VerdictFor(string profile) => profile == "quick" && Reported is not null ? NotJudged : Verdict;

    public double? Delta => Reported is { } r ? OursMean - r : null;

    /// <summary>The verdict stored in a result file (with its annotation, e.g. "not converged"), else judged from the numbers.</summary>
    public string Verdict => StoredVerdict ?? Judge(Reported, OursMean, OursStd);

    public static string Judge(double? reported, double oursMean, double oursStd)
    {
        if (reported is not { } r) return "no reference";
        var tolerance = Math.Max(RelativeTolerance * Math.Abs(r), 2 * oursStd);
        return Math.Abs(oursMean - r) <= tolerance ? "reproduced" : oursMean < r ? "below" : "above";
    }

    /// <summary>Mean and sample standard deviation (n − 1; 0 for one seed) of per-seed values.</summary>
    public static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values.");
        var mean = values.Average();
        var std = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return (mean, std);
    }
}

/// <summary>Result rows rendered as Markdown, CSV, HTML or a Microsoft.Data.Analysis DataFrame; files are written atomically.</summary>
public sealed class ResultTable(IEnumerable<ResultRow> rows)
{
    public IReadOnlyList<ResultRow> Rows { get; } = rows.ToList();

    static readonly string[] Header = ["paper", "table", "dataset", "model", "metric", "k", "reported", "ours_mean", "ours_std", "delta", "seeds", "verdict", "protocol"];

    static string F(double? v) => v is { } d ? d.ToString("0.####", CultureInfo.InvariantCulture) : "";

    IEnumerable<string[]> Cells() => Rows.Select(r => new[]
    {
        r.Paper, r.Table, r.Dataset, r.Model, r.Metric, r.K.ToString(CultureInfo.InvariantCulture), F(r.Reported), F(r.OursMean),
        F(r.OursStd), F(r.Delta), string.Join(" ", r.Seeds), r.Verdict, r.Protocol,
    });

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("| ").Append(string.Join(" | ", Header)).Append(" |\n|").Append(string.Concat(Header.Select(_ => "---|"))).Append('\n');
        foreach (var c in Cells()) sb.Append("| ").Append(string.Join(" | ", c.Select(x => x.Replace("|", "\\|")))).Append(" |\n");
        return sb.ToString();
    }

    public string ToCsv()
    {
        static string Q(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
        var sb = new StringBuilder(string.Join(",", Header)).Append('\n');
        foreach (var c in Cells()) sb.Append(string.Join(",", c.Select(Q))).Append('\n');
        return sb.ToString();
    }

    public string ToHtml()
    {
        var sb = new StringBuilder("<table class=\"reprodiff-results\"><thead><tr>");
        foreach (var h in Header) sb.Append("<th>").Append(h).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var (c, r) in Cells().Zip(Rows))
        {
            var colour = r.Verdict switch { "reproduced" => "#e6f4ea", "no reference" => "#f1f3f4", _ => "#fce8e6" };
            sb.Append($"<tr style=\"background:{colour}\">");
            foreach (var x in c) sb.Append("<td>").Append(WebUtility.HtmlEncode(x)).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    public DataFrame ToDataFrame() => new(
        new StringDataFrameColumn("paper", Rows.Select(r => r.Paper)),
        new StringDataFrameColumn("table", Rows.Select(r => r.Table)),
        new StringDataFrameColumn("dataset", Rows.Select(r => r.Dataset)),
        new StringDataFrameColumn("model", Rows.Select(r => r.Model)),
        new StringDataFrameColumn("metric", Rows.Select(r => $"{r.Metric}@{r.K}")),
        new PrimitiveDataFrameColumn<double>("reported", Rows.Select(r => r.Reported)),
        new PrimitiveDataFrameColumn<double>("ours_mean", Rows.Select(r => (double?)r.OursMean)),
        new PrimitiveDataFrameColumn<double>("ours_std", Rows.Select(r => (double?)r.OursStd)),
        new StringDataFrameColumn("verdict", Rows.Select(r => r.Verdict)));

    /// <summary>
    /// A wide model × metric table: one row per (dataset, model[, protocol when there are several]), one column per metric with our "mean ± std" and,
    /// when <paramref name="withReported"/>, the paper's value beside it. Rendered as an HTML table by the kernel.
    /// </summary>
    public DataFrame ToWideDataFrame(bool withReported = true)
    {
        var metrics = Rows.Select(r => $"{r.Metric}@{r.K}").Distinct().ToList();
        var groups = Rows.GroupBy(r => (r.Dataset, r.Model, r.Protocol)).ToList();
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("dataset", groups.Select(g => g.Key.Dataset)),
            new StringDataFrameColumn("model", groups.Select(g => g.Key.Model)),
        };
        if (groups.Select(g => g.Key.Protocol).Distinct().Count() > 1)
            columns.Add(new StringDataFrameColumn("protocol", groups.Select(g => g.Key.Protocol)));
        foreach (var m in metrics)
        {
            ResultRow? Cell(IGrouping<(string, string, string), ResultRow> g) => g.FirstOrDefault(r => $"{r.Metric}@{r.K}" == m);
            static string F4(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
            if (withReported)
                columns.Add(new StringDataFrameColumn($"{m} paper", groups.Select(g => Cell(g)?.Reported is { } v ? F4(v) : "—")));
            columns.Add(new StringDataFrameColumn(withReported ? $"{m} ours" : m, groups.Select(g => Cell(g) is { } c
                ? c.Seeds.Count > 1 ? $"{F4(c.OursMean)} ± {F4(c.OursStd)}" : F4(c.OursMean) : "")));
        }
        columns.Add(new StringDataFrameColumn("seeds", groups.Select(g => string.Join(" ", g.First().Seeds))));
        if (withReported) columns.Add(new StringDataFrameColumn("verdicts", groups.Select(g => string.Join(", ", g.Select(r => r.Verdict).Distinct()))));
        return new DataFrame(columns);
    }

    public void Save(string pathWithoutExtension)
    {
        AtomicFile.WriteAllText(pathWithoutExtension + ".md", ToMarkdown());
        AtomicFile.WriteAllText(pathWithoutExtension + ".csv", ToCsv());
        AtomicFile.WriteAllText(pathWithoutExtension + ".html", ToHtml());
    }
}
