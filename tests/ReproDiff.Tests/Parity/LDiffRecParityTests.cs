using ReproDiff.Diffusion;
using ReproDiff.Models;
using TorchSharp;
using static TorchSharp.torch;
using static ReproDiff.Tests.Parity.ParityAssert;

namespace ReproDiff.Tests.Parity;

/// <summary>
/// L-DiffRec against the authors' code (YiyanXu/DiffRec @ d35a6c6, L-DiffRec/models/Autoencoder.py, DNN.py,
/// gaussian_diffusion.py and main.py's training step): the same clusters, weights, input, dropout mask, reparameterisation
/// ε, timesteps and noise give the same encoder outputs, latent loss, reconstruction, annealed totals, AdamW step and scores.
/// Fixture: tests/fixtures/parity/ldiffrec.pt, written by tools/parity/generate_ldiffrec.py (its README).
/// The official decoder writes items in cluster order (category_map); ours in item order: the tests map one onto the other.
/// </summary>
public class LDiffRecParityTests
{
    const int Items = 24, Clusters = 3, Latent = 12, Steps = 5;

    static ParityFixture Fixture() => new("ldiffrec.pt");
    static Tensor T(ParityFixture d, string key) => d[key];

    static readonly LDiffRecOptions Options = new()
    {
        Clusters = Clusters, Latent = Latent, MlpDims = [16], AutoencoderDropout = 0.1,
        LearningRateAutoencoder = 1e-3, LearningRateDenoiser = 5e-4,
        Diffusion = new DiffRecOptions { Dims = [16], EmbeddingSize = 8, Steps = Steps, NoiseScale = 0.1, NoiseMin = 0.001, NoiseMax = 0.02, FixFirstBeta = false, Dropout = 0.5 },
    };

    /// <summary>Our parameter name → the official tensor (decoder rows permuted from cluster order to item order).</summary>
    static Tensor Official(ParityFixture d, string prefix, string ours)
    {
        var map = T(d, "category_map");
        if (ours.StartsWith("encoders.")) return T(d, $"{prefix}ae.encoder.{ours.Split('.')[1]}.0.{ours.Split('.')[2]}");
        if (ours.StartsWith("decoder."))
        {
            var official = T(d, $"{prefix}ae.decoder.0.{ours.Split('.')[1]}");
            return zeros_like(official).index_copy_(0, map, official);    // row j of the official decoder is item category_map[j]
        }
        var parts = ours.Split('.');   // embedding.weight, inLayers.k.weight, outLayers.k.weight (official Sequential index 2k)
        return parts[0] switch
        {
            "embedding" => T(d, $"{prefix}mlp.emb_layer.{parts[1]}"),
            "inLayers" => T(d, $"{prefix}mlp.in_layers.{2 * int.Parse(parts[1])}.{parts[2]}"),
            "outLayers" => T(d, $"{prefix}mlp.out_layers.{2 * int.Parse(parts[1])}.{parts[2]}"),
            _ => throw new KeyNotFoundException(ours),
        };
    }

    static IEnumerable<(string Name, Tensor P)> Parameters(LDiffRec m) =>
        m.Autoencoder.named_parameters().Concat(m.Denoiser.named_parameters()).Select(p => (p.name, p.parameter as Tensor));

    static LDiffRec Model(ParityFixture d)
    {
        var m = new LDiffRec(T(d, "cluster_ids").data<long>().ToArray(), Options, CPU);
        using var _ = no_grad();
        foreach (var (name, p) in Parameters(m)) p.copy_(Official(d, "", name));
        return m;
    }


    [Fact]
    public void TheAutoencoderHasTheOfficialLayout()
    {
        var d = Fixture();
        using var m = Model(d);
        Assert.Equal(T(d, "latent_sizes").data<long>().Select(v => (int)v), m.Autoencoder.LatentSizes);
        Assert.Equal(new[] { 7, 9, 8 }, m.Autoencoder.ClusterSizes);
    }

    [Fact]
    public void OneTrainingStepMatchesTermByTermAtThreeAnnealPoints()
    {
        using var scope = NewDisposeScope();
        var d = Fixture();
        using var m = Model(d);
        m.Autoencoder.eval(); m.Denoiser.eval();   // dropout off: the input carries the official mask; the official MLP dropout was off
        var x = T(d, "x") * T(d, "mask");
        var anneal = T(d, "train.anneal");
        var totals = T(d, "train.total");
        for (int i = 0; i < anneal.shape[0]; i++)
        {
            var loss = m.Losses(x, (int)anneal[i, 0].item<long>(), anneal[i, 1].item<long>(),
                eps: T(d, "train.eps"), t: T(d, "train.t"), pt: T(d, "train.pt"), noise: T(d, "train.noise"));
            if (i == 0)
            {
                Close(T(d, "train.mu"), loss.Mu, what: "encoder μ");
                Close(T(d, "train.logvar"), loss.LogVar, what: "encoder log σ²");
                Close(T(d, "train.kl"), loss.Kl.reshape(1), what: "KL");
                Close(T(d, "train.z0"), loss.Z0, what: "reparameterised z_0");
                Close(T(d, "train.diffusion_loss"), loss.Diffusion.detach(), 1e-5, 1e-6, "latent diffusion loss per example");
                Close(T(d, "train.pred_z0"), loss.PredZ0, what: "denoiser ẑ_0");
                Close(T(d, "train.recon"), loss.Reconstruction.index_select(1, T(d, "category_map")), what: "decoder reconstruction");
                Close(T(d, "train.nll"), loss.Nll.reshape(1), what: "multinomial NLL");
            }
            Close(totals[i], loss.Total.detach(), 1e-5, 1e-6, $"annealed total at epoch {anneal[i, 0].item<long>()}, batch {anneal[i, 1].item<long>()}");
        }
    }

    [Fact]
    public void OneStepOfTheTwoAdamWOptimisersMatches()
    {
        using var scope = NewDisposeScope();
        var d = Fixture();
        using var m = Model(d);
        m.Autoencoder.eval(); m.Denoiser.eval();
        using var ae = optim.AdamW(m.Autoencoder.parameters(), lr: Options.LearningRateAutoencoder, weight_decay: 0);
        using var mlp = optim.AdamW(m.Denoiser.parameters(), lr: Options.LearningRateDenoiser, weight_decay: 0);
        ae.zero_grad(); mlp.zero_grad();
        m.Losses(T(d, "x") * T(d, "mask"), 0, 0, T(d, "train.eps"), T(d, "train.t"), T(d, "train.pt"), T(d, "train.noise")).Total.backward();
        ae.step(); mlp.step();
        foreach (var (name, p) in Parameters(m))
            Close(Official(d, "adam.", name), p.detach(), 1e-6, 0, $"{name} after one AdamW step");
    }

    [Fact]
    public void ScoresMatchForTPrimeZeroAndTwoWithTheSameTop20()
    {
        using var scope = NewDisposeScope();
        var d = Fixture();
        using var m = Model(d);
        var map = T(d, "category_map");
        foreach (var (key, ours) in new[] { ("score0", m.Score(T(d, "x"), 0)), ("score2", m.Score(T(d, "x"), 2, T(d, "score2.noise"))) })
        {
            var official = zeros_like(T(d, key)).index_copy_(1, map, T(d, key));   // cluster order → item order, as evaluate() maps its top-K
            Close(official, ours, what: key);
            Assert.True(official.topk(20).indexes.eq(ours.topk(20).indexes).all().item<bool>(), $"{key}: top-20 differs");
        }
    }
}
