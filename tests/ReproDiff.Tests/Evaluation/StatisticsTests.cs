using ReproDiff.Evaluation;

namespace ReproDiff.Tests.Evaluation;

/// <summary>Golden values on hand-made inputs for every statistic the comparison uses (issue 14).</summary>
public class StatisticsTests
{
    [Fact]
    public void SeedMeanIsStudentsTInterval()
    {
        var i = Statistics.SeedMean([1, 2, 3]);          // mean 2, s = 1, t(0.975, 2) = 4.303: half-width 4.303/√3
        Assert.Equal(2, i.Estimate, 12);
        Assert.Equal(2 - 2.484338, i.Low, 5);
        Assert.Equal(2 + 2.484338, i.High, 5);
        Assert.Equal(new Interval(5, 5, 5), Statistics.SeedMean([5]));
        Assert.Equal(2.0395, Statistics.T975(31), 3);   // tables: 2.0395, 2.0003, 1.9799
        Assert.Equal(2.0003, Statistics.T975(60), 3);
        Assert.Equal(1.9799, Statistics.T975(120), 3);
    }

    [Fact]
    public void BootstrapIntervalIsDegenerateForConstantsAndNearTheNormalOtherwise()
    {
        Assert.Equal(new Interval(0.25, 0.25, 0.25), Statistics.BootstrapMean(Enumerable.Repeat(0.25, 50).ToArray()));
        var rng = new Random(7);
        var x = Enumerable.Range(0, 400).Select(_ => rng.NextDouble()).ToArray();   // sd = 1/√12
        var i = Statistics.BootstrapMean(x, 4000, seed: 3);
        var expected = 2 * 1.96 / Math.Sqrt(12) / Math.Sqrt(400);
        Assert.InRange(i.High - i.Low, 0.85 * expected, 1.15 * expected);
        Assert.True(i.Low < x.Average() && x.Average() < i.High);
        Assert.Equal(i, Statistics.BootstrapMean(x, 4000, seed: 3));                 // repeatable for a seed
    }

    [Fact]
    public void PairedBootstrapSeesNoDifferenceInEqualListsAndAClearOneOtherwise()
    {
        double[] a = [0.1, 0.5, 0.3, 0.9, 0.0, 0.2];
        Assert.Equal(1, Statistics.PairedBootstrapP(a, a));
        var b = a.Select(v => v + 0.2 + 0.01 * v).ToArray();                          // always larger, by 0.20–0.21
        Assert.Equal(1 / 2001.0, Statistics.PairedBootstrapP(a, b), 12);
        Assert.Contains("same users", Assert.Throws<ArgumentException>(() => Statistics.PairedBootstrapP(a, [1.0])).Message);
    }

    /// <summary>Hollander and Wolfe's example (also scipy.stats.wilcoxon's): W+ = 40 of n = 9, exact two-sided p = 20/512.</summary>
    [Fact]
    public void WilcoxonIsExactForSmallSamplesWithoutTies()
    {
        double[] x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
        double[] y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
        Assert.Equal(0.0390625, Statistics.WilcoxonP(x, y), 12);
        Assert.Equal(0.0390625, Statistics.WilcoxonP(y, x), 12);
        Assert.Equal(1, Statistics.WilcoxonP(x, x));
    }

    /// <summary>d = 1, 1, −2, 3, 3, 3 (and a dropped 0): ranks 1.5, 1.5, 3, 5, 5, 5, W+ = 18, mean 10.5, variance 22.75 − 30/48, z = 7/√22.125.</summary>
    [Fact]
    public void WilcoxonUsesTheTieCorrectedNormalApproximationWithTies()
    {
        double[] a = [1, 1, 0, 3, 3, 3, 5];
        double[] b = [0, 0, 2, 0, 0, 0, 5];
        Assert.Equal(0.136702584, Statistics.WilcoxonP(a, b), 6);
    }

    /// <summary>
    /// 5,000 users, 2,600 better by 1 and 2,400 worse by 1 (all |d| tied, as 0/1 hit metrics are): W+ = 2,600 · 2,500.5,
    /// variance n(n+1)(2n+1)/24 − (n³ − n)/48, which overflowed 32-bit integers before (p came out as 1). With every |d|
    /// tied the test is the sign test: z ≈ 100/√1250 = 2.83.
    /// </summary>
    [Fact]
    public void WilcoxonHandlesThousandsOfTiedUsers()
    {
        var a = Enumerable.Range(0, 5000).Select(i => i < 2600 ? 1.0 : 0.0).ToArray();
        var b = Enumerable.Range(0, 5000).Select(i => i < 2600 ? 0.0 : 1.0).ToArray();
        Assert.Equal(0.004677817633, Statistics.WilcoxonP(a, b), 6); // the normal tail is good to 1.5e-7
    }

    [Fact]
    public void HolmAdjustsInOriginalOrder()
    {
        Assert.Equal([0.03, 0.06, 0.06], Statistics.Holm([0.01, 0.04, 0.03]).Select(p => Math.Round(p, 12)));
        Assert.Equal([1.0, 1.0], Statistics.Holm([0.6, 0.9]));
    }

    [Fact]
    public void NormalTailMatchesTheTable()
    {
        Assert.Equal(0.025, Statistics.NormalUpperTail(1.959964), 6);
        Assert.Equal(0.5, Statistics.NormalUpperTail(0), 6);
        Assert.Equal(0.841345, Statistics.NormalUpperTail(-1), 6);
    }

    [Fact]
    public void CoverageAndGiniOfExposure()
    {
        int[][] lists = [[0, 1], [1, 2]];
        Assert.Equal(0.3, BeyondAccuracy.Coverage(lists, 10), 12);
        Assert.Equal(0, BeyondAccuracy.Gini([[0, 1], [2, 3]], 4), 12);                    // every item shown once
        Assert.Equal(0.75, BeyondAccuracy.Gini([[2], [2], [2]], 4), 12);                   // one item takes every slot: (n − 1)/n
        Assert.Equal(0.625, BeyondAccuracy.Gini([[3, 2], [3], [3]], 4), 12);               // counts 0, 0, 1, 3: (1·1 + 3·3)/(4·4)
    }

    [Fact]
    public void PopularityNoveltyDiversityAndJaccard()
    {
        var (mean, percentile) = BeyondAccuracy.Popularity([[0, 2]], [5, 1, 3, 3]);   // percentiles: 1, 0, 0.5, 0.5
        Assert.Equal(4, mean, 12);
        Assert.Equal(0.75, percentile, 12);
        Assert.Equal(1.5, BeyondAccuracy.Novelty([[0, 1]], [2, 4], 8), 12);            // −log2(2/8) = 2, −log2(4/8) = 1
        int[][] usersOf = [[0, 1, 2, 3], [2, 3], []];
        Assert.Equal((1 - 2 / Math.Sqrt(8) + 1) / 2, BeyondAccuracy.IntraListDiversity([[0, 1], [0, 2]], usersOf), 12);
        Assert.Equal(0.5, BeyondAccuracy.Jaccard([1, 2, 3], [2, 3, 4]), 12);
        Assert.Equal(1, BeyondAccuracy.Jaccard(Array.Empty<int>(), Array.Empty<int>()), 12);
    }
}
