using System.Globalization;
using System.Text.RegularExpressions;
using ReproDiff.Reproduction;
using ReproDiff.Runtime;

namespace ReproDiff.Tests.Reproduction;

/// <summary>
/// The README's two comparison tables (issue 14, "Cross-model comparison") against the committed comparison files they
/// summarise: every cell is the row's seed mean and half its 95% t-interval, rounded as printed; "not run" only where the
/// file has no such row; a next-item cell is marked budgeted exactly when the file's row is.
/// </summary>
public class ComparisonReadmeTests
{
    static readonly string Root = RepositoryLocator.FindRoot()!;

    static readonly Dictionary<string, string> Models = new()
    {
        ["most-popular"] = "MostPopular", ["LightGCN (budgeted)"] = "LightGCN",
        ["SeqDiffRec, one step"] = "SeqDiffRec (one step, K = 4)", ["SeqDiffRec, chain"] = "SeqDiffRec",
    };

    static readonly Dictionary<string, string> Datasets = new()
    {
        ["clean"] = "user-item-diffrec-ml-1m-clean", ["noisy"] = "user-item-diffrec-ml-1m-noisy",
        ["Beauty"] = "next-item-diffurec-amazon-beauty", ["Toys"] = "next-item-diffurec-toys",
        ["Sports"] = "next-item-s3rec-sports", ["Yelp"] = "next-item-s3rec-yelp",
    };

    /// <summary>The rows of the README table whose header starts with <paramref name="corner"/>: header cells and body rows.</summary>
    static (string[] Header, List<string[]> Rows) Table(string corner)
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "README.md"));
        var start = Array.FindIndex(lines, l => l.StartsWith($"| {corner} |", StringComparison.Ordinal));
        while (start >= 0 && !(start + 1 < lines.Length && lines[start + 1].StartsWith("|---", StringComparison.Ordinal)))   // a header, not a body row
            start = Array.FindIndex(lines, start + 1, l => l.StartsWith($"| {corner} |", StringComparison.Ordinal));
        Assert.True(start >= 0, $"README has no table starting with '| {corner} |'");
        static string[] Cells(string l) => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
        var rows = lines.Skip(start + 2).TakeWhile(l => l.StartsWith('|')).Select(Cells).ToList();
        return (Cells(lines[start]), rows);
    }

    static double Printed(Group g) => double.Parse(g.Value, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("ML-1M", "NDCG@20")]
    [InlineData("next item", "NDCG@10")]
    public void Every_cell_of_the_readme_table_is_the_committed_comparison(string corner, string metric)
    {
        var (header, rows) = Table(corner);
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            var report = Comparison.Load(Path.Combine(Root, "papers", "comparison", Datasets[row[0]] + ".json"));
            Assert.True(report.Missing is null || report.Missing.Count == 0, $"{row[0]}: the comparison is incomplete");
            for (var i = 1; i < header.Length; i++)
            {
                var model = Models.GetValueOrDefault(header[i], header[i]);
                var found = report.Rows.FirstOrDefault(r => r.Model == model);
                var where = $"{row[0]} {header[i]} '{row[i]}'";
                if (row[i] == "not run") { Assert.True(found is null, where); continue; }
                Assert.True(found is not null, where);
                var m = Regex.Match(row[i], @"^(\d\.\d{4}) ± (0|\d\.\d{4})( \*budgeted\*)?$");
                Assert.True(m.Success, where);
                var interval = found!.Metrics[metric];
                // printed to 4 decimals from the unrounded values; the file keeps 5, so a printed digit is within half a unit plus that
                Assert.True(Math.Abs(Printed(m.Groups[1]) - interval.Estimate) <= 0.00006, $"{where}: mean {interval.Estimate}");
                Assert.True(Math.Abs(Printed(m.Groups[2]) - (interval.High - interval.Low) / 2) <= 0.00006, $"{where}: half-width {(interval.High - interval.Low) / 2}");
                if (corner == "next item") Assert.True(found.Budgeted == m.Groups[3].Success, where);
            }
        }
    }
}
