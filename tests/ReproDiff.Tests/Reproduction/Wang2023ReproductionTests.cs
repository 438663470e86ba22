using ReproDiff.Data;
using ReproDiff.Reproduction;
using ReproDiff.Tests.Support;

namespace ReproDiff.Tests.Reproduction;

/// <summary>A fact that trains to convergence: runs under CI=true or REPRODIFF_FULL_TESTS=1, else skips with the reason.</summary>
public sealed class FullRunFactAttribute : FactAttribute
{
    public FullRunFactAttribute()
    {
        if (TestData.IsCi || Environment.GetEnvironmentVariable("REPRODIFF_FULL_TESTS") == "1") return;
        Skip = "full reproduction (about 8 minutes on 2 CPU cores in CI); runs under CI=true or REPRODIFF_FULL_TESTS=1";
    }
}

public class Wang2023ReproductionTests
{
    [Fact]
    public void ReportedTableHasTheDiffRecRowsWeReproduce()
    {
        Assert.Equal(0.1787, ReportedResults.Find("wang2023", "Table 2", "ML-1M", "DiffRec", "Recall", 20)!.Value);
        Assert.Equal(0.0703, ReportedResults.Find("wang2023", "Table 3", "ML-1M", "DiffRec", "NDCG", 20)!.Value);
        Assert.Null(ReportedResults.Find("wang2023", "Table 7", "ML-1M", "T-DiffRec", "Recall", 20));
        Assert.Equal(266, ReportedResults.All.Count(r => r.Paper == "wang2023"));
    }

    [RealDataFact("diffrec-ml-1m-clean")]
    public void QuickProfileWritesEveryCellWithItsProtocol()
    {
        var r = Wang2023.Reproduce(["DiffRec"], ["diffrec-ml-1m-clean"], "quick", [1], TestData.Root, "cpu", "test");
        Assert.Equal(4, r.Cells.Count);
        Assert.All(r.Cells, c => Assert.Contains("diffrec-official", c.Protocol));
        Assert.All(r.Cells, c => Assert.Equal(ReproDiff.Reporting.ResultRow.NotJudged, c.Verdict)); // ten epochs are a smoke test, not a reproduction
        Assert.Equal(10, r.Runs.Single().Epochs);
    }

    /// <summary>Wang et al. Table 2, DiffRec on ML-1M (clean): three seeds, the released preset, the official protocol.</summary>
    [FullRunFact]
    public void DiffRecOnMl1mCleanReproducesTable2()
    {
        var r = Wang2023.Reproduce(["DiffRec"], ["diffrec-ml-1m-clean"], "full", [1, 2, 3], TestData.Root, "auto", "test");
        var notReproduced = r.Cells.Where(c => c.Verdict != "reproduced").Select(c => $"{c.Metric}@{c.K}: reported {c.Reported}, ours {c.OursMean} ± {c.OursStd}").ToList();
        Assert.True(notReproduced.Count == 0, string.Join("; ", notReproduced));
    }
}
