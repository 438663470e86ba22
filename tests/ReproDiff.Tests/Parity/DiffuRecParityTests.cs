using ReproDiff.Models;
using TorchSharp;
using static TorchSharp.torch;
using static ReproDiff.Tests.Parity.ParityAssert;

namespace ReproDiff.Tests.Parity;

/// <summary>
/// DiffuRec against the authors' code (WHUIR/DiffuRec @ f6f70c9, src/diffurec.py and src/model.py as trainer.py drives
/// them): the same weights, left-padded histories, embedding-dropout mask, step, q_sample noise and λ draws give the same
/// history representation, x̂_0, cross-entropy and Adam step; the same start noise, λ and z draws give the same full
/// reverse chain and scores. Fixture: tests/fixtures/parity/diffurec.pt from tools/parity/generate_diffurec.py (its README).
/// Our attention fuses the three query/key/value projections into one Linear(H, 3H): the tests stack the official three.
/// </summary>
public class DiffuRecParityTests
{
    const int Items = 20, Hidden = 8;

    static ParityFixture Fixture() => new("diffurec.pt");
    static Tensor T(ParityFixture d, string key) => d[key];

    static readonly DiffuRecOptions Options = new() { Hidden = Hidden, Blocks = 2, Heads = 4, Dropout = 0, EmbeddingDropout = 0.3, Steps = 4, Lambda = 0.5, MaxLength = 6 };

    /// <summary>Our parameter name → the official tensor under <paramref name="prefix"/> ("w." initial, "adam." after one step).</summary>
    static Tensor Official(ParityFixture d, string prefix, string ours)
    {
        const string x = "diffu.xstart_model.";
        ours = System.Text.RegularExpressions.Regex.Replace(ours, @"<(\w+)>k__BackingField", "$1");   // properties register under their backing field
        var p = ours.Split('.');
        if (ours == "ItemEmbeddings.weight") return T(d, prefix + "item_embeddings.weight");
        if (p[0] == "norm") return T(d, prefix + "LayerNorm." + p[1]);
        if (p[0] != "Approximator") throw new KeyNotFoundException(ours);
        if (p[1] == "timeEmbed") return T(d, $"{prefix}{x}time_embed.{p[2]}.{p[3]}");
        if (p[1] == "norm") return T(d, $"{prefix}{x}norm_diffu_rep.{p[2]}");
        if (p[1] != "blocks") throw new KeyNotFoundException(ours);
        var block = $"{prefix}{x}att.transformer_blocks.{p[2]}.";
        return p[3] switch
        {
            "qkv" => cat(new[] { 0, 1, 2 }.Select(i => T(d, $"{block}attention.linear_layers.{i}.{p[4]}")).ToArray(), 0),
            "output" => T(d, $"{block}attention.w_layer.{p[4]}"),
            "w1" => T(d, $"{block}feed_forward.w_1.{p[4]}"),
            "w2" => T(d, $"{block}feed_forward.w_2.{p[4]}"),
            "norm1" => T(d, $"{block}input_sublayer.norm.{p[4]}"),
            "norm2" => T(d, $"{block}output_sublayer.norm.{p[4]}"),
            _ => throw new KeyNotFoundException(ours),
        };
    }

    static DiffuRec Model(ParityFixture d)
    {
        var m = new DiffuRec(Items, Options, CPU);
        using var _ = no_grad();
        foreach (var (name, p) in m.Network.named_parameters()) p.copy_(Official(d, "w.", name));
        return m;
    }

    /// <summary>Replays recorded draws in order (one queue per kind), so our code consumes exactly the official ones.</summary>
    sealed class Replay(Tensor draws)
    {
        long next;
        public long Used => next;
        public Tensor Next(long[] shape)
        {
            var t = draws[next++];
            Assert.Equal(shape, t.shape);
            return t;
        }
    }


    [Fact]
    public void TheTrainingStepGivesTheOfficialRepresentationsLossAndAdamStep()
    {
        using var scope = NewDisposeScope();
        var d = Fixture();
        using var m = Model(d);
        m.Network.train();
        var seq = T(d, "seq"); var tag = T(d, "tag").squeeze(-1); var mask = T(d, "emb_mask");
        Close(T(d, "train.history"), m.Network.History(seq, mask), what: "history representation LayerNorm(Dropout(E[s]))");

        m.Network.Approximator.LambdaSource = new Replay(T(d, "train.lambda").unsqueeze(0)).Next;
        Tensor? x0 = null;
        var losses = m.Losses(seq, tag, T(d, "train.t"), T(d, "train.noise"), mask, p => x0 = p);
        Close(T(d, "train.x0"), x0!, what: "approximator output x̂_0");
        Close(T(d, "train.loss"), losses.mean().reshape(1), what: "loss_diffu_ce");
        Assert.True(T(d, "train.weights").eq(1).all().item<bool>(), "the official sampler is uniform here (never updated), as DiffuRecOptions' default");

        using var adam = optim.Adam(m.Network.parameters(), lr: 1e-3, weight_decay: 0);   // trainer.py optimizers(): Adam(lr, weight_decay)
        adam.zero_grad();
        losses.mean().backward();
        foreach (var (name, p) in m.Network.named_parameters())
            Close(Official(d, "grad.", name), p.grad!, 1e-5, what: $"gradient of {name}");
        adam.step();
        // Adam's first step moves each weight by lr · g/(|g| + ε): a sign. The key biases' exact gradient is zero (q·b_k is the
        // same for every key of a row, and softmax ignores it), so both codes hold rounding noise there, which that step turns
        // into ±lr. Weights whose official gradient is below 1e-6 are compared by their gradient above, not by this step.
        foreach (var (name, p) in m.Network.named_parameters())
        {
            var live = Official(d, "grad.", name).abs().ge(1e-6);
            Close(Official(d, "adam.", name) * live, p.detach() * live, 1e-6, what: $"{name} after one Adam step");
        }
    }

    [Fact]
    public void TheFullReverseChainGivesTheOfficialScoresAndTop20()
    {
        using var scope = NewDisposeScope();
        var d = Fixture();
        using var m = Model(d);
        var lambdas = new Replay(T(d, "chain.lambda"));
        var noise = new Replay(cat([T(d, "chain.start").unsqueeze(0), T(d, "chain.noise")], 0));
        m.Network.Approximator.LambdaSource = lambdas.Next;
        var scores = m.Score(T(d, "seq"), null, noise: noise.Next);
        Assert.Equal(Options.Steps, lambdas.Used);        // one λ per step, as reverse_p_sample
        Assert.Equal(1 + Options.Steps, noise.Used);      // x_T and one z per step (t = 0's is drawn and masked, as p_sample)
        Close(T(d, "chain.scores"), scores, 1e-5, what: "scores x̂_0 · Eᵀ after the T reverse steps");
        var official = T(d, "chain.scores");
        Assert.True(official.topk(20).indexes.eq(scores.topk(20).indexes).all().item<bool>(), "top-20 differs");
    }
}
