using ReproDiff.Reproduction;
using ReproDiff.Runtime;
using ReproDiff.Tests.Support;

namespace ReproDiff.Tests.Reproduction;

/// <summary>The verification report on hand-made result files: grouping, headline, stored verdicts, the verdict-change rule.</summary>
public class VerificationReportTests
{
    static readonly EnvironmentReport Env = new("Linux", ".NET 10", "0.107.0", "2.10.0", "cpu", false, 0, 2, 2, "abcdef1234", "vm", DateTimeOffset.Parse("2026-11-30T00:00:00Z"));

    static ReproducedCell Cell(string paper, string table, string dataset, string model, string metric, int k, double? reported, double mean, double std, string verdict, int seeds = 3) =>
        new(paper, table, dataset, model, metric, k, reported, mean, std, Enumerable.Range(1, seeds).ToList(), "proto: details", verdict, Enumerable.Repeat(mean, seeds).ToList());

    static ReproductionResult Result(params ReproducedCell[] cells) => new(Env, "reprodiff reproduce test", "full", cells, []);

    static readonly ReproductionResult Committed = Result(
        Cell("wang2023", "Table 2", "ml-1m", "DiffRec", "Recall", 20, 0.1787, 0.1718, 0.0037, "reproduced"),
        Cell("wang2023", "Table 2", "ml-1m", "DiffRec", "NDCG", 20, 0.1148, 0.1103, 0.0019, "reproduced"),
        Cell("wang2023", "Table 6", "ml-1m", "L-DiffRec", "Recall", 20, 0.1809, 0.1686, 0.0009, "below"),
        Cell("wang2023", "none (not in the paper)", "ml-1m", "T-DiffRec", "Recall", 20, null, 0.1959, 0.0037, "no reference"),
        Cell("li2023", "Table 2", "beauty", "SASRec", "HR", 10, 6.2648, 4.1955, 0, "below (not converged: stopped by the time budget)", seeds: 1),
        Cell("li2023", "Table 2", "beauty", "GRU4Rec", "HR", 10, 1.9370, 4.6008, 0, "not judged (quick profile)", seeds: 1));

    [Fact]
    public void TheHeadlineSeparatesTheFiveKindsOfCellFromTheStoredVerdicts()
    {
        var r = new VerificationReport([("a.json", Committed)]);
        Assert.Equal(2, r.Headline[VerdictClass.Reproduced]);
        Assert.Equal(1, r.Headline[VerdictClass.OutsideTolerance]);
        Assert.Equal(1, r.Headline[VerdictClass.NotConverged]);
        Assert.Equal(1, r.Headline[VerdictClass.NotJudged]);
        Assert.Equal(1, r.Headline[VerdictClass.NoReference]);
        Assert.StartsWith("2 reproduced, 1 outside tolerance, 1 not converged", r.HeadlineText);
    }

    [Fact]
    public void StoredVerdictsAreShownAsStoredEvenWhenTheNumbersWouldSayOtherwise()
    {
        // 0.1000 against 0.1787 would be "below" if recomputed; the file says "reproduced" and the report must say so.
        var odd = Result(Cell("wang2023", "Table 2", "ml-1m", "DiffRec", "Recall", 20, 0.1787, 0.1000, 0.001, "reproduced"));
        var r = new VerificationReport([("odd.json", odd)]);
        Assert.Equal(1, r.Headline[VerdictClass.Reproduced]);
        Assert.Contains("| DiffRec | proto | 0.1787 → 0.1000 ± 0.0010 | reproduced |", r.ToMarkdown());
        Assert.Contains("below (not converged: stopped by the time budget)", new VerificationReport([("a.json", Committed)]).ToHtmlBody());
    }

    [Fact]
    public void CellsAreGroupedPaperTableDatasetWithTablesWithoutAReferenceLast()
    {
        var r = new VerificationReport([("a.json", Committed)]);
        Assert.Equal(
            ["li2023|Table 2|beauty", "wang2023|Table 2|ml-1m", "wang2023|Table 6|ml-1m", "wang2023|none (not in the paper)|ml-1m"],
            r.Groups().Select(g => $"{g.Key.Paper}|{g.Key.Table}|{g.Key.Dataset}"));
        var md = r.ToMarkdown();
        Assert.True(md.IndexOf("## li2023", StringComparison.Ordinal) < md.IndexOf("## wang2023", StringComparison.Ordinal));
        Assert.Contains("| model | protocol | Recall@20 | NDCG@20 | verdicts |", md);    // one wide row per model
        Assert.Contains("| reprodiff reproduce test | ", md.Replace("`", ""));        // provenance
    }

    [Fact]
    public void OneChartPerPaperWithTheToleranceBandAndNotConvergedCellsApart()
    {
        var charts = new VerificationReport([("a.json", Committed)]).Charts().ToList();
        Assert.Equal(2, charts.Count);
        var wang = charts.Single(c => ((string?)c.Layout["title"]!["text"])!.StartsWith("wang2023", StringComparison.Ordinal));
        Assert.Equal(0.05, (double)wang.Layout["shapes"]![0]!["x1"]!);
        var li = charts.Single(c => ((string?)c.Layout["title"]!["text"])!.StartsWith("li2023", StringComparison.Ordinal));
        Assert.Contains(li.Data, t => (string?)t!["name"] == "not converged (budget)");
        var reproduced = wang.Data.Single(t => (string?)t!["name"] == "reproduced")!;
        Assert.Equal(0.1718 / 0.1787 - 1, (double)reproduced["x"]![0]!, 12);
        Assert.Equal(0.0037 / 0.1787, (double)reproduced["error_x"]!["array"]![0]!, 12);
    }

    [Fact]
    public void OnlyAChangedVerdictCountsAsAChange()
    {
        var committed = new VerificationReport([("c.json", Committed)]);
        // L-DiffRec still below (expected), DiffRec Recall@20 newly below (a regression), a new cell outside tolerance.
        var now = new VerificationReport([("n.json", Result(
            Cell("wang2023", "Table 6", "ml-1m", "L-DiffRec", "Recall", 20, 0.1809, 0.1690, 0.001, "below"),
            Cell("wang2023", "Table 2", "ml-1m", "DiffRec", "Recall", 20, 0.1787, 0.1500, 0.001, "below"),
            Cell("wang2023", "Table 2", "ml-1m", "DiffRec", "NDCG", 20, 0.1148, 0.1110, 0.001, "reproduced"),
            Cell("wang2023", "Table 2", "ml-1m-noisy", "DiffRec", "NDCG", 20, 0.0703, 0.05, 0.001, "below")))]);
        var changes = now.ChangesAgainst(committed);
        Assert.Equal(2, changes.Count);
        Assert.Contains(changes, c => c.Key.Contains("|ml-1m|DiffRec|Recall@20|") && c.Committed == "reproduced" && c.Now == "below");
        Assert.Contains(changes, c => c.Key.Contains("ml-1m-noisy") && c.Committed == "(none committed)");
        Assert.Empty(committed.ChangesAgainst(committed));
    }

    [Fact]
    public void TheCommittedResultsVerifyAgainstThemselvesAndAChangedFileFails()
    {
        var out1 = Path.Combine(Directory.CreateTempSubdirectory("reprodiff-verify").FullName, "report");
        var r = CliProcess.Run("verify", "--out", out1, "--fail-unless-reproduced");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("every verdict equals the committed one.", r.Stdout);
        Assert.Contains("outside tolerance", File.ReadAllText(out1 + ".md"));
        Assert.Contains(ReproDiff.Reporting.Plots.Marker, File.ReadAllText(out1 + ".html"));
        Assert.Contains("## Parity with the authors' code", File.ReadAllText(out1 + ".md"));
        Assert.Contains("| diffrec.pt | YiyanXu/DiffRec @ d35a6c6", File.ReadAllText(out1 + ".md"));
        Assert.Contains("## Comparison: user-item on diffrec-ml-1m-clean (full)", File.ReadAllText(out1 + ".md"));

        var broken = Path.Combine(Path.GetDirectoryName(out1)!, "broken.json");
        ReproductionJson.Save(Result(Cell("wang2023", "Table 2", "diffrec-ml-1m-clean", "DiffRec", "Recall", 20, 0.1787, 0.15, 0.001, "below") with { Protocol = "diffrec-official: x" }), broken);
        r = CliProcess.Run("verify", broken, "--out", out1, "--fail-unless-reproduced");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("verdict changed: wang2023|diffrec-ml-1m-clean|DiffRec|Recall@20|diffrec-official: committed 'reproduced', now 'below'", r.Stderr);
    }
}
