using ReproDiff.Diffusion;
using ReproDiff.Runtime;
using static TorchSharp.torch;

namespace ReproDiff.Tests.Diffusion;

public class TimestepSamplerTests
{
    [Fact]
    public void UniformBeforeWarmUpThenProportionalToRootMeanSquare()
    {
        TorchRuntime.Seed(5);
        using var scope = NewDisposeScope();
        var s = new LossSecondMomentSampler(4, historyPerTerm: 2, uniformProbability: 0.0);
        var (t, pt) = s.Sample(8, CPU);
        Assert.True(pt.eq(1).all().item<bool>());
        s.Update(tensor(new long[] { 0, 1, 2, 3, 0, 1, 2 }), tensor(new double[] { 3, 1, 1, 1, 3, 1, 1 }));
        Assert.False(s.IsWarmedUp);
        s.Update(tensor(new long[] { 3 }), tensor(new double[] { 1 }));
        Assert.True(s.IsWarmedUp);
        Assert.Equal([0.5, 1 / 6.0, 1 / 6.0, 1 / 6.0], s.Probabilities(), (a, b) => Math.Abs(a - b) < 1e-12);
        var (t2, pt2) = s.Sample(10_000, CPU);
        var share0 = t2.eq(0).to_type(float64).mean().item<double>();
        Assert.Equal(0.5, share0, 1);
        Assert.Equal(2.0, pt2[t2.eq(0)][0].item<float>(), 5); // p_t · T
    }

    [Fact]
    public void HistoryKeepsTheLastLossesOnly()
    {
        var s = new LossSecondMomentSampler(1, historyPerTerm: 2, uniformProbability: 0.0);
        s.Update(tensor(new long[] { 0, 0, 0 }), tensor(new double[] { 100, 1, 1 }));
        Assert.Equal([1.0], s.Probabilities());
    }
}
