// DiffuRec: Li, Sun, Li, "DiffuRec: A Diffusion Model for Sequential Recommendation", ACM TOIS 42(3) 2024, arXiv 2304.00686.
// Reference code: WHUIR/DiffuRec @ f6f70c9, src/diffurec.py (DiffuRec, Diffu_xstart), src/model.py (Att_Diffuse_model),
// src/trainer.py (loop, protocol), src/main.py (defaults). Equation numbers are those cited for the paper by third-party
// notes (papers.md §2); the paper's PDF was not available to us, so they are unverified. The code names are authoritative.
//   Items are distributions: the target item's embedding e_n is diffused, x_t = √ᾱ_t e_n + √(1−ᾱ_t) ε (Eq. 3, q_sample), with
//   the truncated linear schedule (Eq. 14, 'trunc_lin'). The approximator f_θ reads the history with each position shifted
//   by the noised target, z_i = e_i + λ_i ⊙ (x_t + d_t), λ_i ~ N(mean δ, std δ), δ = 0.001 (Eq. 8, Diffu_xstart.forward), runs a
//   Transformer with no positional embedding and returns x̂_0 at the last position. The loss is cross-entropy of x̂_0 against
//   every item embedding (Eq. 13, loss_diffu_ce; the table includes the padding row). Inference starts from pure noise
//   and runs the T ancestral steps with the "fixed large" variance (reverse_p_sample); scores are x̂ · Eᵀ.
using ReproDiff.Data;
using ReproDiff.Diffusion;
using ReproDiff.Evaluation;
using ReproDiff.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReproDiff.Models;

/// <summary>DiffuRec's settings; the defaults are the released <c>src/main.py</c> (no per-dataset settings were published).</summary>
public sealed record DiffuRecOptions
{
    public int Hidden { get; init; } = 128;
    public int Blocks { get; init; } = 4;
    /// <summary>Fixed at 4 in the code (<c>Transformer_rep.heads</c>).</summary>
    public int Heads { get; init; } = 4;
    public double Dropout { get; init; } = 0.1;
    /// <summary>Dropout on the history's item embeddings, before their LayerNorm (<c>emb_dropout</c>).</summary>
    public double EmbeddingDropout { get; init; } = 0.3;
    /// <summary>T (<c>diffusion_steps</c>).</summary>
    public int Steps { get; init; } = 32;
    /// <summary>trunc_lin (default), linear, cosine or sqrt (the paper's schedule ablation).</summary>
    public string Schedule { get; init; } = "trunc_lin";
    /// <summary>δ of λ ~ N(mean δ, standard deviation δ), i.e. variance δ² (<c>lambda_uncertainty</c>; torch.normal(mean, std)).</summary>
    public double Lambda { get; init; } = 0.001;
    /// <summary>
    /// The released code builds a loss-aware sampler but never updates it, so steps are uniform (the default here). True
    /// uses the working loss-second-moment sampler and divides each loss by T·p_t.
    /// </summary>
    public bool ImportanceSampling { get; init; }
    public int MaxLength { get; init; } = 50;
    /// <summary>
    /// A deviation from the release, off by default: also mask the padded <em>keys</em> (an additive −1e9 on their
    /// attention scores), as SASRec does. The release only blanks the padded query rows (<see cref="DiffuRecNetwork.Mask"/>),
    /// so padded positions still enter every softmax (notebook 03, Exercise 4).
    /// </summary>
    public bool MaskPaddingKeys { get; init; }
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; }
    public int BatchSize { get; init; } = 512;
    /// <summary>StepLR: multiply the learning rate by <see cref="Gamma"/> every <see cref="DecayStep"/> epochs.</summary>
    public int DecayStep { get; init; } = 100;
    public double Gamma { get; init; } = 0.1;

    public void Validate()
    {
        if (Hidden < 2 || Blocks < 1 || Heads < 1 || Hidden % Heads != 0)
            throw new ArgumentException($"DiffuRec: hidden {Hidden} must be a positive multiple of heads {Heads}, blocks at least 1.");
        if (Steps < 1 || MaxLength < 1 || BatchSize < 1 || !(LearningRate > 0) || DecayStep < 1)
            throw new ArgumentException("DiffuRec: steps, max length, batch size, learning rate and decay step must be positive.");
        if (Dropout is < 0 or >= 1 || EmbeddingDropout is < 0 or >= 1) throw new ArgumentException("DiffuRec: dropout rates must be in [0, 1).");
        _ = NoiseSchedule();
    }

    /// <summary>The β schedule by its name in the code (<c>get_named_beta_schedule</c>).</summary>
    public NoiseSchedule NoiseSchedule() => Schedule switch
    {
        "trunc_lin" => Diffusion.NoiseSchedule.TruncatedLinear(Steps),
        "linear" => Diffusion.NoiseSchedule.Linear(Steps, scaleTo1000: true),
        "cosine" => Diffusion.NoiseSchedule.Cosine(Steps),
        "sqrt" => Diffusion.NoiseSchedule.Sqrt(Steps),
        _ => throw new ArgumentException($"DiffuRec: schedule '{Schedule}' is not one of trunc_lin, linear, cosine, sqrt."),
    };
}

/// <summary>
/// f_θ, the approximator (<c>Diffu_xstart</c>): step embedding d_t = MLP(sinusoid(t·1000/T)), history positions shifted by
/// λ ⊙ (x_t + d_t), the Transformer blocks, dropout and LayerNorm, and the last position as x̂_0.
/// </summary>
public sealed class DiffuRecApproximator : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    readonly int hidden;
    readonly double lambda;
    readonly bool maskPaddingKeys;
    readonly Sequential timeEmbed;
    readonly ModuleList<TransformerBlock> blocks;
    readonly UniformDropout dropout;
    readonly LayerNorm norm;

    public DiffuRecApproximator(DiffuRecOptions o) : base(nameof(DiffuRecApproximator))
    {
        hidden = o.Hidden;
        lambda = o.Lambda;
        maskPaddingKeys = o.MaskPaddingKeys;
        timeEmbed = nn.Sequential(nn.Linear(o.Hidden, 4 * o.Hidden), nn.SiLU(), nn.Linear(4 * o.Hidden, o.Hidden));
        blocks = new ModuleList<TransformerBlock>(Enumerable.Range(0, o.Blocks).Select(_ => new TransformerBlock(o.Hidden, o.Heads, o.Dropout)).ToArray());
        dropout = new UniformDropout(o.Dropout);
        norm = nn.LayerNorm(o.Hidden, eps: 1e-12);
        RegisterComponents();
    }

    /// <summary>Supplies λ [B, L, H] in place of the N(δ, δ) draw when set: the parity tests replay the official draws.</summary>
    public Func<long[], Tensor>? LambdaSource { get; set; }

    /// <param name="history">[B, L, H] item representations (after embedding dropout and LayerNorm).</param>
    /// <param name="xt">[B, H] the noised target x_t.</param>
    /// <param name="tScaled">[B] the step, already multiplied by 1000/T (<c>_scale_timesteps</c>).</param>
    /// <param name="mask">[B, 1, L, 1] the query rows attention keeps (see <see cref="DiffuRecNetwork.Mask"/>).</param>
    /// <returns>x̂_0 [B, H].</returns>
    public override Tensor forward(Tensor history, Tensor xt, Tensor tScaled, Tensor mask)
    {
        var x = xt + timeEmbed.call(TimestepEmbedding.Sinusoidal(tScaled, hidden));
        var lam = LambdaSource?.Invoke(history.shape)                  // λ ~ N(δ, δ), fresh for every call, also at inference
            ?? randn_like(history).mul_(lambda).add_(lambda);
        var h = history + lam * x.unsqueeze(1);
        using var keyMask = maskPaddingKeys ? mask.transpose(-1, -2).sub(1).mul_(1e9) : null;   // [B, 1, 1, L]: 0 real, −1e9 padding
        for (int i = 0; i < blocks.Count; i++) h = blocks[i].forward(h, keyMask, lastOnly: i == blocks.Count - 1, queryKeep: mask); // only x̂_0's row is used
        return norm.call(dropout.call(h))[.., -1, ..];
    }
}

/// <summary>The trainable part of DiffuRec (<c>Att_Diffuse_model</c>): the item table E (with the padding row 0), the history encoder, f_θ.</summary>
public sealed class DiffuRecNetwork : nn.Module
{
    public Embedding ItemEmbeddings { get; }
    public DiffuRecApproximator Approximator { get; }
    readonly UniformDropout embeddingDropout;
    readonly LayerNorm norm;

    public DiffuRecNetwork(int items, DiffuRecOptions o) : base(nameof(DiffuRecNetwork))
    {
        ItemEmbeddings = nn.Embedding(items + 1, o.Hidden); // N(0, 1) init as nn.Embedding; no padding_idx, as released
        Approximator = new DiffuRecApproximator(o);
        embeddingDropout = new UniformDropout(o.EmbeddingDropout);
        norm = nn.LayerNorm(o.Hidden, eps: 1e-12);
        RegisterComponents();
    }

    /// <summary>
    /// The history's item representations: LayerNorm(Dropout(E[s])), no positional embedding (commented out in the code).
    /// A given <paramref name="dropoutMask"/> [B, L, H] (inverted: 0 or 1/(1−p)) replaces the dropout's draw.
    /// </summary>
    public Tensor History(Tensor sequences, Tensor? dropoutMask = null)
    {
        var e = ItemEmbeddings.call(sequences);
        return norm.call(dropoutMask is null ? embeddingDropout.call(e) : e * dropoutMask);
    }

    /// <summary>
    /// The released attention mask [B, 1, L, 1], 1 for real positions and 0 for padding: it blanks the <em>query</em> rows of
    /// padded positions (they attend uniformly, with no gradient) while real positions still attend to the padding
    /// (MultiHeadedAttention.forward masks dim −2, not −1). See <see cref="TransformerBlock.forward(Tensor, Tensor?, bool, Tensor?)"/>.
    /// </summary>
    public static Tensor Mask(Tensor sequences) =>
        sequences.ne(0).to_type(float32).view(sequences.shape[0], 1, sequences.shape[1], 1);

    /// <summary>Inner products with every item embedding, padding included (<c>diffu_rep_pre</c>).</summary>
    public Tensor Logits(Tensor representation) => representation.matmul(ItemEmbeddings.weight!.t());
}

/// <summary>DiffuRec (Li et al. 2023) with the released settings, trained and evaluated as <c>src/trainer.py</c> does.</summary>
public sealed class DiffuRec : ISequentialRecommender
{
    public static readonly ModelCard Card = new("DiffuRec", "Li, Sun, Li, DiffuRec: A Diffusion Model for Sequential Recommendation", "ACM TOIS 2024",
        "https://github.com/WHUIR/DiffuRec @ f6f70c9", "sequential (next item)");

    public DiffuRecOptions Options { get; }
    public DiffuRecNetwork Network { get; }
    public GaussianDiffusion Diffusion { get; }
    public ITimestepSampler Sampler { get; }
    public Device Device { get; }
    public int Items { get; }
    public int MaxLength => Options.MaxLength;
    public long ParameterCount => Network.parameters().Sum(p => p.numel());

    public DiffuRec(int items, DiffuRecOptions? options = null, Device? device = null)
    {
        Options = options ?? new DiffuRecOptions();
        Options.Validate();
        Items = items;
        Device = device ?? CPU;
        Network = new DiffuRecNetwork(items, Options);
        Network.to(Device);
        Diffusion = new GaussianDiffusion(Options.NoiseSchedule(), Device);
        Sampler = Options.ImportanceSampling ? new LossSecondMomentSampler(Options.Steps) : new UniformTimestepSampler(Options.Steps);
    }

    Tensor Scale(Tensor t) => t.to_type(float32) * (1000.0f / Options.Steps);

    /// <summary>f_θ(history, x_t, t) → x̂_0, as a <see cref="Denoiser"/> for the diffusion's reverse chain.</summary>
    public Denoiser Approximator(Tensor history, Tensor mask) => (xt, t) => Network.Approximator.call(history, xt, Scale(t), mask);

    /// <summary>The per-example loss (Eq. 13): CE(x̂_0 Eᵀ, target) after noising E[target] at uniformly drawn steps.</summary>
    public Tensor ComputeLoss(Tensor sequences, Tensor targets)
    {
        var history = Network.History(sequences);
        var mask = DiffuRecNetwork.Mask(sequences);
        var x0 = Network.ItemEmbeddings.call(targets);
        var (t, pt) = Sampler.Sample(x0.shape[0], Device);
        var losses = LossesOf(history, mask, x0, targets, t, null);
        if (!Options.ImportanceSampling) return losses.mean();
        Sampler.Update(t, losses.detach());
        return (losses / pt).mean();
    }

    /// <summary>
    /// The per-example cross-entropy at given steps t (0-based) and, optionally, given noise ε [B, H] and embedding-dropout
    /// mask [B, L, H]: a hook for notebook 03 and tests. <paramref name="predX0"/> receives f_θ's x̂_0 [B, H].
    /// </summary>
    public Tensor Losses(Tensor sequences, Tensor targets, Tensor t, Tensor? noise = null, Tensor? embeddingMask = null, Action<Tensor>? predX0 = null) =>
        LossesOf(Network.History(sequences, embeddingMask), DiffuRecNetwork.Mask(sequences), Network.ItemEmbeddings.call(targets), targets, t, noise, predX0);

    Tensor LossesOf(Tensor history, Tensor mask, Tensor x0, Tensor targets, Tensor t, Tensor? noise, Action<Tensor>? onPredX0 = null)
    {
        var xt = Diffusion.QSample(x0, t, noise);
        var predX0 = Approximator(history, mask)(xt, t);
        onPredX0?.Invoke(predX0);
        return nn.functional.cross_entropy(Network.Logits(predX0), targets, reduction: nn.Reduction.None);
    }

    /// <summary>
    /// Scores for left-padded histories: x_T ~ N(0, I), then the T reverse steps with the posterior mean of x̂_0 and the fixed
    /// large variance (<c>reverse_p_sample</c>); the final x_0 against every item. Stochastic: λ and the noise are drawn anew.
    /// <paramref name="onStep"/> sees (t, x_{t−1}, x̂_0) at each step.
    /// </summary>
    public Tensor Score(Tensor histories) => Score(histories, null);

    /// <param name="reverseSteps">
    /// Fewer reverse steps than T: the chain runs on the respaced schedule over evenly spaced steps of the trained one
    /// (Nichol and Dhariwal 2021, §4), and f_θ sees the original step indices. Null runs all T steps, as released.
    /// </param>
    /// <param name="noise">Supplies x_T and each step's z in place of fresh draws (parity tests replay the official ones).</param>
    public Tensor Score(Tensor histories, Action<int, Tensor, Tensor>? onStep, Generator? generator = null, int? reverseSteps = null,
        Func<long[], Tensor>? noise = null)
    {
        using var _ = no_grad();
        Network.eval();
        var history = Network.History(histories);
        var mask = DiffuRecNetwork.Mask(histories);
        var start = zeros(histories.shape[0], Options.Hidden, device: Device);
        var options = PSampleOptions.DiffuRec() with { OnStep = onStep, Generator = generator, Noise = noise };
        if (reverseSteps is not { } k || k == Options.Steps)
            return Network.Logits(Diffusion.PSample(Approximator(history, mask), start, options));
        var keep = Diffusion.Schedule.EvenlySpaced(k);
        using var respaced = new GaussianDiffusion(Diffusion.Schedule.Respace(keep), Device);
        return Network.Logits(respaced.PSample(Approximator(history, mask), start, options with { TimestepMap = keep }));
    }

    /// <summary>Trains as <c>model_train</c>: every prefix → next item, shuffled batches, Adam, StepLR per epoch, validation by the protocol.</summary>
    public TrainingReport Fit(SequenceDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1)
    {
        protocol ??= EvaluationProtocol.DiffuRec;
        var (inputs, targets) = SequenceBatches.Prefixes(data, MaxLength, Device);
        using var __ = inputs;
        using var ___ = targets;
        using var optimizer = optim.Adam(Network.parameters(), lr: Options.LearningRate, weight_decay: Options.WeightDecay);
        var stepLr = optim.lr_scheduler.StepLR(optimizer, Options.DecayStep, Options.Gamma);
        return Trainer.Fit(Network, [optimizer], SequenceBatches.Shuffled(inputs, targets, Options.BatchSize, new Random(seed)),
            b => { Network.train(); return ComputeLoss(b.Inputs, b.Targets); },
            () => Evaluator.Evaluate(Score, data, test: false, protocol, MaxLength, Device), training, progress, cancel, [stepLr]);
    }

    public void Dispose()
    {
        Diffusion.Dispose();
        Network.Dispose();
    }
}
