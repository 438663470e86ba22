using ReproDiff.Diffusion;

namespace ReproDiff.Tests.Diffusion;

/// <summary>Golden values for the schedules, hand-derived or computed from the papers' published configurations (papers.md §1.5, §2.3).</summary>
public class NoiseScheduleTests
{
    [Fact]
    public void DiffRecMl1mCleanPresetMatchesTheHandComputedBetas()
    {
        // s = 0.005, α_min = 0.005, α_max = 0.01, T = 40, beta_fixed: β_1 = 1e-5, then 6.41e-7 each; 1 − ᾱ_40 = 3.50e-5.
        var s = NoiseSchedule.LinearVariance(40, 0.005, 0.005, 0.01, fixFirstBeta: true);
        Assert.Equal(1e-5, s.Betas[0], 12);
        Assert.All(s.Betas.Skip(1), b => Assert.Equal(6.41e-7, b, 9));
        Assert.Equal(3.50e-5, 1 - s.AlphasCumprod[^1], 7);
    }

    [Fact]
    public void DiffRecAmazonBookPresetMatchesThePublishedTable()
    {
        var s = NoiseSchedule.LinearVariance(5, 1e-4, 5e-4, 5e-3, fixFirstBeta: true);
        Assert.Equal([1e-5, 1.125e-7, 1.125e-7, 1.125e-7, 1.125e-7], s.Betas.Select(b => Math.Round(b, 13)));
        Assert.Equal([1.000e-5, 1.011e-5, 1.022e-5, 1.034e-5, 1.045e-5], s.AlphasCumprod.Select(a => Math.Round(1 - a, 8)));
    }

    [Fact]
    public void LinearVarianceWithoutFixedBetaFollowsEquation4()
    {
        // 1 − ᾱ_t = s (α_min + (t−1)/(T−1)(α_max − α_min)) exactly when β_1 is not overridden.
        var s = NoiseSchedule.LinearVariance(10, 0.1, 0.01, 0.05, fixFirstBeta: false);
        for (int t = 0; t < 10; t++) Assert.Equal(0.1 * (0.01 + t / 9.0 * 0.04), 1 - s.AlphasCumprod[t], 12);
    }

    [Fact]
    public void DiffuRecTruncatedLinearForT32()
    {
        var s = NoiseSchedule.TruncatedLinear(32);
        Assert.Equal(0.013125, s.Betas[0], 12);
        Assert.Equal(0.635, s.Betas[^1], 12);
        Assert.Equal(0.999999, 1 - s.AlphasCumprod[^1], 6);
    }

    [Fact]
    public void LinearQuadraticCosineSqrtEndpoints()
    {
        var lin = NoiseSchedule.Linear(1000);
        Assert.Equal((1e-4, 0.02), (lin.Betas[0], Math.Round(lin.Betas[^1], 12)));
        Assert.Equal(0.02 * 1000 / 32, NoiseSchedule.Linear(32, scaleTo1000: true).Betas[^1], 12);
        var quad = NoiseSchedule.Quadratic(100);
        Assert.Equal(1e-4, quad.Betas[0], 12);
        Assert.Equal(0.02, quad.Betas[^1], 12);
        var cos = NoiseSchedule.Cosine(1000);
        Assert.Equal(0.999, cos.Betas[^1], 12); // capped
        Assert.True(cos.Betas.Zip(cos.Betas.Skip(1)).All(p => p.First <= p.Second + 1e-12));
        var sq = NoiseSchedule.Sqrt(100);
        Assert.Equal(1 - (1 - Math.Sqrt(0.01 + 1e-4)) / (1 - Math.Sqrt(1e-4)), sq.Betas[0], 12);
    }

    [Fact]
    public void PosteriorCoefficientsEqualTheProductOfGaussians()
    {
        // q(x_{t−1}|x_0) = N(√ᾱ_{t−1} x_0, 1 − ᾱ_{t−1}); q(x_t|x_{t−1}) = N(√α_t x_{t−1}, β_t). Bayes gives the posterior.
        var s = NoiseSchedule.Cosine(50);
        for (int t = 1; t < 50; t++)
        {
            var precision = 1 / (1 - s.AlphasCumprodPrev[t]) + s.Alphas[t] / s.Betas[t];
            var variance = 1 / precision;
            Assert.Equal(variance, s.PosteriorVariance[t], 10);
            Assert.Equal(variance * Math.Sqrt(s.AlphasCumprodPrev[t]) / (1 - s.AlphasCumprodPrev[t]), s.PosteriorMeanCoef1[t], 10);
            Assert.Equal(variance * Math.Sqrt(s.Alphas[t]) / s.Betas[t], s.PosteriorMeanCoef2[t], 10);
        }
        Assert.Equal(0, s.PosteriorVariance[0]);
        Assert.Equal(Math.Log(s.PosteriorVariance[1]), s.PosteriorLogVarianceClipped[0], 12);
        Assert.Equal(s.AlphasCumprod[7] / (1 - s.AlphasCumprod[7]), s.Snr[7], 12);
    }

    [Fact]
    public void RespacingKeepsAlphaBarAtTheKeptSteps()
    {
        var s = NoiseSchedule.Linear(100);
        var keep = s.EvenlySpaced(10);
        Assert.Equal(10, keep.Length);
        Assert.Equal(99, keep[^1]);
        var r = s.Respace(keep);
        for (int i = 0; i < keep.Length; i++) Assert.Equal(s.AlphasCumprod[keep[i]], r.AlphasCumprod[i], 12);
    }

    [Theory]
    [InlineData(0.1, 0.01, 0.005, "noise_min = 0.01 must be below noise_max = 0.005 (are they swapped?)")]
    [InlineData(0.0, 0.001, 0.01, "noise_scale = 0 must lie in (0, 1]")]
    [InlineData(1.5, 0.001, 0.01, "noise_scale = 1.5 must lie in (0, 1]")]
    public void BadDiffRecParametersNameTheField(double scale, double min, double max, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => NoiseSchedule.LinearVariance(10, scale, min, max));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void BadStepsAndBetasAreRejected()
    {
        Assert.Contains("steps must be at least 1, got 0", Assert.Throws<ArgumentException>(() => NoiseSchedule.Linear(0)).Message);
        Assert.Contains("beta[1] = 1.5 is outside (0, 1]", Assert.Throws<ArgumentException>(() => new NoiseSchedule([0.1, 1.5])).Message);
    }

    /// <summary>get_named_beta_schedule('trunc_lin', 10) in src/diffurec.py: the end 2.01 passes 1, so it falls back to 100·0.001 + 0.01.</summary>
    [Fact]
    public void TruncatedLinearFallsBackAsTheOfficialCodeForShortChains()
    {
        var betas = NoiseSchedule.TruncatedLinear(10).Betas;
        Assert.Equal(10, betas.Length);
        Assert.Equal(0.02, betas[0], 12);
        Assert.Equal(0.11, betas[^1], 12);
        Assert.Equal(0.03, betas[1], 12);
    }
}
