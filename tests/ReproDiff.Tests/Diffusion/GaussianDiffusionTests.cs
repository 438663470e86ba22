using ReproDiff.Diffusion;
using ReproDiff.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Tests.Diffusion;

public class GaussianDiffusionTests
{
    [Fact]
    public void QSampleHasTheClosedFormMoments()
    {
        TorchRuntime.Seed(1);
        using var scope = NewDisposeScope();
        using var d = new GaussianDiffusion(NoiseSchedule.Linear(100));
        var x0 = full(200_000, 1.5, float64);
        var t = full(200_000, 40, int64);
        var xt = d.QSample(x0, t);
        var ab = d.Schedule.AlphasCumprod[40];
        Assert.Equal(Math.Sqrt(ab) * 1.5, xt.mean().item<double>(), 2);
        Assert.Equal(1 - ab, xt.var().item<double>(), 2);
    }

    [Fact]
    public void EpsilonAndX0PredictionsInvertEachOther()
    {
        TorchRuntime.Seed(2);
        using var scope = NewDisposeScope();
        using var d = new GaussianDiffusion(NoiseSchedule.Cosine(50));
        var x0 = randn(16, 3, float64);
        var t = randint(0, 50, [16], dtype: int64);
        var eps = randn(16, 3, float64);
        var xt = d.QSample(x0, t, eps);
        Assert.True(d.PredictX0FromEps(xt, t, eps).allclose(x0, 1e-8, 1e-8));
        Assert.True(d.PredictEpsFromX0(xt, t, x0).allclose(eps, 1e-6, 1e-6));
    }

    [Fact]
    public void DiffRecLoopWithAConstantDenoiserReturnsTheConstant()
    {
        // At the last step ᾱ_{t−1} = 1, so x_0 = coef1·x̂_0 + 0·x_1 = x̂_0: the DiffRec loop returns what the model predicts.
        using var scope = NewDisposeScope();
        using var d = new GaussianDiffusion(NoiseSchedule.LinearVariance(40, 0.005, 0.005, 0.01));
        var c = tensor(new double[] { 0.25, -1, 3 }).view(1, 3).expand(4, 3);
        int calls = 0;
        var result = d.PSample((xt, t) => c.clone(), randn(4, 3, float64), PSampleOptions.DiffRec() with { OnStep = (_, _, _) => calls++ });
        Assert.Equal(40, calls);
        Assert.True(result.allclose(c, 1e-9, 1e-9));
    }

    [Fact]
    public void DiffRecLoopWithTheIdentityDenoiserShrinksByTheCoefficientProduct()
    {
        using var scope = NewDisposeScope();
        var s = NoiseSchedule.Linear(20, 1e-3, 0.2);
        using var d = new GaussianDiffusion(s);
        var x = tensor(new double[] { 1, 2 }).view(2, 1);
        var result = d.PSample((xt, t) => xt.clone(), x, PSampleOptions.DiffRec());
        double factor = 1;
        for (int t = 0; t < 20; t++) factor *= s.PosteriorMeanCoef1[t] + s.PosteriorMeanCoef2[t];
        Assert.Equal(factor * 1, result[0, 0].item<double>(), 10);
        Assert.Equal(factor * 2, result[1, 0].item<double>(), 10);
    }

    [Fact]
    public void DiffRecStartStepsNoisesTheInputFirst()
    {
        TorchRuntime.Seed(3);
        using var scope = NewDisposeScope();
        using var d = new GaussianDiffusion(NoiseSchedule.Linear(10, 0.01, 0.3));
        var x0 = ones(1000, 1, float64);
        var fromClean = d.PSample((xt, t) => xt.clone(), x0, PSampleOptions.DiffRec(0));
        var fromNoised = d.PSample((xt, t) => xt.clone(), x0, PSampleOptions.DiffRec(10));
        Assert.Equal(0, fromClean.std().item<double>(), 10);
        Assert.True(fromNoised.std().item<double>() > 0.01);
    }

    [Fact]
    public void ReweightIsSnrDifferenceAndOneAtTheFirstStep()
    {
        using var scope = NewDisposeScope();
        var s = NoiseSchedule.Linear(10, 0.01, 0.2);
        using var d = new GaussianDiffusion(s);
        var x0 = zeros(3, 4, float64);
        var t = tensor(new long[] { 0, 4, 9 });
        var loss = d.TrainingLoss((xt, tt) => ones_like(xt), x0, t, reweight: true);
        Assert.True(loss.Mse.allclose(ones(3, float64)));
        Assert.Equal(1, loss.Loss[0].item<double>(), 10);
        Assert.Equal(s.Snr[3] - s.Snr[4], loss.Loss[1].item<double>(), 8);
        Assert.Equal(s.Snr[8] - s.Snr[9], loss.Loss[2].item<double>(), 8);
        var pt = tensor(new double[] { 2, 2, 2 });
        Assert.True(d.TrainingLoss((xt, tt) => ones_like(xt), x0, t, pt, reweight: true).Loss.allclose(loss.Loss / 2));
    }

    [Fact]
    public void KlOfIdenticalGaussiansIsZeroAndPriorKlShrinksWithMoreSteps()
    {
        using var scope = NewDisposeScope();
        var m = randn(5); var lv = randn(5);
        Assert.True(GaussianDiffusion.NormalKl(m, lv, m, lv).abs().max().item<float>() < 1e-6);
        var x0 = full(1, 3, 2.0, float64);
        using var short_ = new GaussianDiffusion(NoiseSchedule.Linear(10));
        using var long_ = new GaussianDiffusion(NoiseSchedule.Linear(1000));
        Assert.True(long_.PriorKl(x0).item<double>() < 1e-3);
        Assert.True(short_.PriorKl(x0).item<double>() > long_.PriorKl(x0).item<double>());
    }

    [Fact]
    public void ElboOfTheExactDenoiserForAGaussianMatchesItsClosedFormAndStaysBelowLogLikelihood()
    {
        // Data x_0 ~ N(0, 1): x_t ~ N(0, 1) for every t and E[x_0 | x_t] = √ᾱ_t x_t exactly. With fixed-small variances the
        // expected terms are: prior −½ log(1 − ᾱ_T); step t (t ≥ 1, 0-based) β_t SNR_{t−1} / 2; reconstruction ½ + ½ log(2π β_1).
        TorchRuntime.Seed(4);
        using var scope = NewDisposeScope();
        var s = NoiseSchedule.Linear(200, 1e-4, 0.05);
        using var d = new GaussianDiffusion(s);
        var sab = tensor(s.SqrtAlphasCumprod);
        var x0 = randn(20_000, 1, float64);
        var (total, prior, denoising, recon) = d.NegativeElbo((xt, t) => sab.index_select(0, t).view(-1, 1) * xt, x0);
        var expectedPrior = -0.5 * Math.Log(1 - s.AlphasCumprod[^1]);
        var expectedSteps = Enumerable.Range(1, 199).Sum(t => s.Betas[t] * s.Snr[t - 1] / 2);
        var expectedRecon = 0.5 + 0.5 * Math.Log(2 * Math.PI * s.Betas[0]);
        Assert.Equal(expectedPrior, prior.mean().item<double>(), 2);
        Assert.Equal(expectedRecon, recon.mean().item<double>(), 1);
        Assert.True(Math.Abs(expectedSteps - denoising.mean().item<double>()) < 0.03 * expectedSteps, $"{denoising.mean().item<double>()} vs {expectedSteps}");
        var entropy = 0.5 * Math.Log(2 * Math.PI * Math.E);
        Assert.True(expectedPrior + expectedSteps + expectedRecon > entropy); // −ELBO ≥ H(p): the bound holds
        Assert.True(total.mean().item<double>() > entropy);
    }
}
