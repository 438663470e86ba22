using ReproDiff.Diffusion;
using ReproDiff.Models;
using TorchSharp;
using static TorchSharp.torch;
using static ReproDiff.Tests.Parity.ParityAssert;

namespace ReproDiff.Tests.Parity;

/// <summary>
/// DiffRec against the authors' code (YiyanXu/DiffRec @ d35a6c6): the same weights, inputs, timesteps, dropout mask and
/// noise give the same outputs. Fixture: tests/fixtures/parity/diffrec.pt, written by tools/parity/generate_diffrec.py
/// from the official modules (its README). Tolerance: float32, 1e-5 absolute, or 1e-6 relative for the reweighted
/// losses whose SNR weights run into the thousands.
/// </summary>
public class DiffRecParityTests
{
    const int Items = 30, Steps = 5;

    static ParityFixture Fixture() => new("diffrec.pt");
    static Tensor T(ParityFixture d, string key) => d[key];

    static DiffRec Model(ParityFixture d)
    {
        var m = new DiffRec(Items, new DiffRecOptions { Dims = [16], EmbeddingSize = 8, Steps = Steps, NoiseScale = 0.1, NoiseMin = 0.001, NoiseMax = 0.02 }, CPU);
        using var _ = no_grad();
        foreach (var (name, p) in m.Denoiser.named_parameters()) p.copy_(T(d, "w." + name));
        return m;
    }


    [Fact]
    public void TheScheduleIsTheOfficialLinearVarianceWithTheFirstBetaFixed()
    {
        using var scope = NewDisposeScope();
        var d = Fixture();
        var ours = new DiffRecOptions { Steps = Steps, NoiseScale = 0.1, NoiseMin = 0.001, NoiseMax = 0.02 }.Schedule().Betas;
        Close(T(d, "betas"), tensor(ours), 1e-9, 1e-7, "betas");
    }

    [Fact]
    public void TheDenoiserGivesTheOfficialOutput()
    {
        using var scope = NewDisposeScope();
        var d = Fixture();
        using var m = Model(d);
        m.Denoiser.eval();
        using var _ = no_grad();
        var x = T(d, "x0") * T(d, "mask");   // the official dropout with its mask fixed
        Close(T(d, "denoiser.out"), m.Denoiser.call(x, T(d, "denoiser.t")), what: "denoiser output");
    }

    [Fact]
    public void TheImportanceSamplerHasTheOfficialDistribution()
    {
        var d = Fixture();
        var sampler = new LossSecondMomentSampler(Steps);
        var ts = T(d, "sampler.warm_t"); var ls = T(d, "sampler.warm_loss");
        for (long i = 0; i < ts.shape[0]; i++) sampler.Update(ts[i].unsqueeze(0), ls[i].unsqueeze(0)); // one example at a time, as the official loop
        Close(T(d, "sampler.p"), tensor(sampler.Probabilities()), 1e-12, 0, "p(t)");
    }

    [Fact]
    public void TheTrainingLossAndOneAdamWStepMatch()
    {
        using var scope = NewDisposeScope();
        var d = Fixture();
        using var m = Model(d);
        m.Denoiser.eval(); // dropout off: the fixture's input already carries the mask
        var loss = m.Diffusion!.TrainingLoss((xt, t) => m.Denoiser.call(xt, t), T(d, "train.x"), T(d, "train.t"), T(d, "train.pt"),
            MeanType.StartX, reweight: true, noise: T(d, "train.noise"));
        Close(T(d, "train.loss"), loss.Loss.detach(), 1e-5, 1e-6, "training_losses(reweight=True) per example");

        using var optimizer = optim.AdamW(m.Denoiser.parameters(), lr: 1e-3, weight_decay: 0);
        optimizer.zero_grad();
        loss.Loss.mean().backward();
        optimizer.step();
        foreach (var (name, p) in m.Denoiser.named_parameters())
            Close(T(d, "adam." + name), p.detach(), 1e-6, 0, $"{name} after one AdamW step");
    }

    [Fact]
    public void ScoresMatchForTPrimeZeroAndTwoWithTheSameTop20()
    {
        using var scope = NewDisposeScope();
        var d = Fixture();
        using var m = Model(d);
        m.Denoiser.eval();
        using var _ = no_grad();
        Tensor Chain(int start, Tensor? noise) => m.Diffusion!.PSample((xt, t) => m.Denoiser.call(xt, t), T(d, "x0"),
            PSampleOptions.DiffRec(start) with { StartNoise = noise });
        foreach (var (key, ours) in new[] { ("psample0", Chain(0, null)), ("psample2", Chain(2, T(d, "psample2.noise"))) })
        {
            var official = T(d, key);
            Close(official, ours, what: key);
            Assert.True(official.topk(20).indexes.eq(ours.topk(20).indexes).all().item<bool>(), $"{key}: top-20 differs");
        }
    }

    /// <summary>T-DiffRec: the official loader's time weights (np.linspace(w_min, 1, n) per user in file order; w_min for n = 1).</summary>
    [Fact]
    public void TDiffRecInputIsTheOfficialTimeWeightedMatrix()
    {
        using var scope = NewDisposeScope();
        var d = new ParityFixture("tdiffrec.pt");
        var pairs = T(d, "pairs").data<long>().ToArray();
        var shape = T(d, "shape").data<long>().ToArray();
        int users = (int)shape[0], items = (int)shape[1];
        var rows = pairs.Where((_, i) => i % 2 == 0).Select(v => (int)v).ToArray();
        var cols = pairs.Where((_, i) => i % 2 == 1).Select(v => (int)v).ToArray();
        var train = ReproDiff.Data.SparseMatrix.FromPairs(users, items, rows, cols);
        var empty = ReproDiff.Data.SparseMatrix.FromPairs(users, items, [], []);
        var data = new ReproDiff.Data.InteractionDataset("parity", users, items, train, empty, empty);
        var ours = DiffRec.Dense(data.TimeWeightedTrain(T(d, "w_min").to_type(float64).item<double>()), CPU);
        Close(T(d, "weighted"), ours, 1e-7, 0, "time-weighted training matrix");
    }
}
