// SeqDiffRec: "DiffRec (Du et al.)", Du, Yuan, Huang, Zhao, Zhou, "Sequential Recommendation with Diffusion Models",
// arXiv 2304.04541. The paper calls its model DiffRec; it is not Wang et al.'s DiffRec. No code, data or table was published:
// this is built from the paper's figure, objective and Algorithm 2 (../shared/reference/du2023.md §2, tags [R]) and fills
// every unknown with an option ([I] inferred, [D] our default; papers/du2023/README.md lists them).
//   Items → hidden vectors, q_φ(h_t^0 | v_t) = N(E(v_t), β_0 I) (Eq. 6). Only the target slot T is diffused,
//   h_T^n = √ᾱ_n h_T^0 + √(1−ᾱ_n) ε (Eq. 7); the history stays clean. The denoiser f_θ ("DSR") is a Transformer encoder
//   over h_t + y_t + z_n (learnable positions y_t, sinusoidal step z_n at every position) read at the last position,
//   predicting h_T^0. Loss (objective image, §2.2): ‖h_T^0 − f_θ(h_T^n, n)‖² for n ≥ 2, ‖E(v_T) − f_θ(h_T^1, 1)‖² for n = 1,
//   plus the rounding term −log softmax(W h_T^0 + b)[v_T] (Eq. 8); one n per example by importance sampling.
//   Inference (Algorithm 2): the history with an [unk] slot appended, h_T^N from the noised [unk] embedding, the DDPM
//   posterior step n = N…2 with f_θ as x0 (line 5), f_θ(h_T^1, 1), rounding. Efficient inference (§2.6, a note): K draws
//   of h_T^N, one f_θ call each, the K distributions averaged.
using ReproDiff.Data;
using ReproDiff.Diffusion;
using ReproDiff.Evaluation;
using ReproDiff.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ReproDiff.Models;

/// <summary>How SeqDiffRec ranks: Algorithm 2's reverse chain, or the paper's efficient one-step inference averaged over K draws.</summary>
public enum SeqDiffRecInference { ReverseChain, OneStep }

/// <summary>Where the rounding cross-entropy is taken: the printed objective's sampled clean h_T^0, or the denoiser's prediction f_θ(h_T^n, n).</summary>
public enum SeqDiffRecRounding { Clean, Prediction }

/// <summary>
/// SeqDiffRec's settings. The paper gives none; defaults follow the first author's pipeline of the time (CBiT/EMKD
/// templates, du2023.md §4: hidden 256, 2 blocks, 2 heads, dropout 0.3, Adam 1e-3, batch 256, max length 15 on Beauty)
/// where it speaks, DDPM's otherwise; each option says which.
/// </summary>
public sealed record SeqDiffRecOptions
{
    public int Hidden { get; init; } = 256;
    public int Blocks { get; init; } = 2;
    public int Heads { get; init; } = 2;
    public double Dropout { get; init; } = 0.3;
    /// <summary>T, the sequence length the denoiser reads, the target (or [unk]) slot included (CBiT's <c>max_len</c>).</summary>
    public int MaxLength { get; init; } = 15;
    /// <summary>N [D]: DiffuRec's 32 steps, so the two models' reverse chains cost the same.</summary>
    public int Steps { get; init; } = 32;
    /// <summary>β schedule [D]: DDPM's linear 1e-4 → 0.02 rescaled to N steps (×1000/N, as Improved DDPM and DiffuSeq do); or cosine, sqrt, trunc_lin.</summary>
    public string Schedule { get; init; } = "linear";
    /// <summary>β_0 of Eq. 6 [D]; null takes β_1 of the schedule, as Diffusion-LM's code samples its embedding transition. 0 = deterministic embeddings.</summary>
    public double? Beta0 { get; init; }
    /// <summary>Importance-sampled steps (loss second moment, uniform until warm-up): the paper's efficient training; false = uniform.</summary>
    public bool ImportanceSampling { get; init; } = true;
    /// <summary>Noise only the target slot (the paper); false noises every real position at the same n (the paper's ablation).</summary>
    public bool TargetOnly { get; init; } = true;
    /// <summary>Bidirectional attention with a padding mask [I] (the author's BERT4Rec-based CBiT); true = causal.</summary>
    public bool Causal { get; init; }
    /// <summary>Rounding W tied to E [I: untied, CBiT's separate output layer].</summary>
    public bool TiedRounding { get; init; }
    /// <summary>
    /// The rounding term's input. Clean [R]: −log softmax(W h_T^0 + b)[v_T] on the sampled clean embedding, as printed; it
    /// trains W and E but never the denoiser, which learns only from the MSE. Prediction: the same cross-entropy on
    /// f_θ(h_T^n, n) (the ablation; DiffuRec's loss is of this kind), so the ranking the inference reads is trained directly.
    /// </summary>
    public SeqDiffRecRounding RoundOn { get; init; } = SeqDiffRecRounding.Clean;
    /// <summary>Reverse-step variance [D]: the posterior β̃_n (DDPM's "fixed small"); false = β_n ("fixed large").</summary>
    public bool PosteriorVariance { get; init; } = true;
    public SeqDiffRecInference Inference { get; init; } = SeqDiffRecInference.ReverseChain;
    /// <summary>K, the draws of the efficient inference [D].</summary>
    public int Draws { get; init; } = 4;
    /// <summary>Windows of the training sequence, their ends this many items apart (CBiT's <c>sliding_window_step</c>, 10 on ML-1M).</summary>
    public int WindowStride { get; init; } = 1;
    /// <summary>
    /// Train on every prefix of the training sequence, the last T − 1 items of it as history (each item after the first
    /// is a target once) [I]. The paper does not say which items are targets; CBiT trains every position of its windows
    /// (cloze), so every item is a target there, and a model that predicts the last slot only reaches every item as a
    /// target through the prefixes (DiffuRec trains the same way). False: CBiT's windows, only their last items as targets
    /// (3× fewer examples; on synthetic data it learned visibly less in the same epochs, see SeqDiffRecTests).
    /// </summary>
    public bool EveryPrefix { get; init; } = true;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; }
    public int BatchSize { get; init; } = 256;

    /// <summary>The author's per-dataset template values (CBiT templates.py: max length, dropout, heads, window stride).</summary>
    public static SeqDiffRecOptions Preset(string dataset) => dataset switch
    {
        "diffurec-toys" => new() { MaxLength = 20 },
        "diffurec-ml-1m" => new() { MaxLength = 40, Dropout = 0.2, Heads = 4, WindowStride = 10 },
        _ => new(),
    };

    /// <summary>
    /// These options with assignments applied, "Name=value" separated by '/' (for example "RoundOn=Prediction/Hidden=64"):
    /// how a study names an ablation as a model, <c>SeqDiffRec/RoundOn=Prediction</c>. Unknown names and bad values throw.
    /// </summary>
    public SeqDiffRecOptions With(string assignments)
    {
        var copy = this with { };
        foreach (var part in assignments.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = eq > 0 ? part[..eq] : part;
            var property = typeof(SeqDiffRecOptions).GetProperty(name);
            if (eq <= 0 || property is null || !property.CanWrite)
                throw new ArgumentException($"SeqDiffRec option '{part}': write Name=value with Name one of " +
                    string.Join(", ", typeof(SeqDiffRecOptions).GetProperties().Where(p => p.CanWrite).Select(p => p.Name)) + ".");
            var text = part[(eq + 1)..];
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object? value;
            try
            {
                value = type.IsEnum ? Enum.Parse(type, text, ignoreCase: true)
                    : text is "null" && type != property.PropertyType ? null
                    : Convert.ChangeType(text, type, System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or InvalidCastException)
            {
                throw new ArgumentException($"SeqDiffRec option '{part}': '{text}' is not a valid {type.Name}" +
                    (type.IsEnum ? $" ({string.Join(", ", Enum.GetNames(type))})." : "."));
            }
            property.SetValue(copy, value);
        }
        copy.Validate();
        return copy;
    }

    public void Validate()
    {
        if (Hidden < 2 || Blocks < 1 || Heads < 1 || Hidden % Heads != 0)
            throw new ArgumentException($"SeqDiffRec: hidden {Hidden} must be a positive multiple of heads {Heads}, blocks at least 1.");
        if (Steps < 1 || MaxLength < 2 || BatchSize < 1 || Draws < 1 || WindowStride < 1 || !(LearningRate > 0))
            throw new ArgumentException("SeqDiffRec: steps, batch size, draws, window stride and learning rate must be positive, max length at least 2.");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"SeqDiffRec: dropout {Dropout} must be in [0, 1).");
        if (Schedule == "linear" && Steps < 20)
            throw new ArgumentException($"SeqDiffRec: the linear schedule rescaled to N steps (β_N = 0.02·1000/N) needs N ≥ 20, got {Steps}; use the cosine schedule for fewer steps.");
        if (Beta0 is < 0 or >= 1) throw new ArgumentException($"SeqDiffRec: β_0 {Beta0} must be in [0, 1).");
        _ = NoiseSchedule();
    }

    public NoiseSchedule NoiseSchedule() => Schedule switch
    {
        "linear" => Diffusion.NoiseSchedule.Linear(Steps, scaleTo1000: true),
        "cosine" => Diffusion.NoiseSchedule.Cosine(Steps),
        "sqrt" => Diffusion.NoiseSchedule.Sqrt(Steps),
        "trunc_lin" => Diffusion.NoiseSchedule.TruncatedLinear(Steps),
        _ => throw new ArgumentException($"SeqDiffRec: schedule '{Schedule}' is not one of linear, cosine, sqrt, trunc_lin."),
    };
}

/// <summary>E, the positions Y, the denoiser f_θ ("DSR") and the rounding head W, b. Item ids 1..I, 0 = padding, I + 1 = [unk].</summary>
public sealed class SeqDiffRecNetwork : nn.Module
{
    readonly int hidden;
    readonly bool causal;
    public Embedding ItemEmbeddings { get; }
    public Embedding Positions { get; }
    readonly UniformDropout dropout;
    readonly ModuleList<TransformerBlock> blocks;
    public Linear? Rounding { get; }
    readonly Parameter? roundingBias;

    public SeqDiffRecNetwork(int items, SeqDiffRecOptions o) : base(nameof(SeqDiffRecNetwork))
    {
        hidden = o.Hidden;
        causal = o.Causal;
        ItemEmbeddings = nn.Embedding(items + 2, o.Hidden, padding_idx: 0); // N(0, 1), as the BERT4Rec code CBiT builds on
        Positions = nn.Embedding(o.MaxLength, o.Hidden);
        dropout = new UniformDropout(o.Dropout);
        blocks = new ModuleList<TransformerBlock>(Enumerable.Range(0, o.Blocks).Select(_ => new TransformerBlock(o.Hidden, o.Heads, o.Dropout)).ToArray());
        if (o.TiedRounding) roundingBias = nn.Parameter(zeros(items + 1));
        else Rounding = nn.Linear(o.Hidden, items + 1);
        RegisterComponents();
    }

    /// <summary>The additive attention mask [B, 1, 1 or L, L]: padded keys blocked; with causal attention, later positions too.</summary>
    public Tensor Mask(Tensor sequences)
    {
        var padded = sequences.eq(0).unsqueeze(1).unsqueeze(1);                  // [B, 1, 1, L]
        if (causal)
        {
            var l = sequences.shape[1];
            padded = padded.logical_or(ones(l, l, dtype: @bool, device: sequences.device).triu(1));
        }
        return padded.to_type(float32).mul_(-1e9);
    }

    /// <summary>
    /// f_θ(h^n, n): <paramref name="h"/> [B, T, H] (clean history, noised last slot), <paramref name="n"/> [B] steps 1..N →
    /// the prediction of h_T^0 [B, H], read at the last position (du2023.md §2.4, "DSR").
    /// </summary>
    public Tensor Denoise(Tensor h, Tensor n, Tensor mask)
    {
        var z = Diffusion.TimestepEmbedding.Sinusoidal(n, hidden).unsqueeze(1);  // z_n, the same at every position
        var y = Positions.weight![TensorIndex.Slice(-h.shape[1])].unsqueeze(0);  // y_t of the last T positions
        var x = dropout.call(h + y + z);
        for (int i = 0; i < blocks.Count; i++) x = blocks[i].forward(x, mask, lastOnly: i == blocks.Count - 1); // only the target slot is read
        return x[.., -1, ..];
    }

    /// <summary>W h + b over items 0..I (Eq. 8, before the softmax); column 0 is the padding id.</summary>
    public Tensor Round(Tensor h) => Rounding is { } w ? w.call(h)
        : h.matmul(ItemEmbeddings.weight![TensorIndex.Slice(0, -1)].t()) + roundingBias!;
}

/// <summary>DiffRec (Du et al.) as <c>SeqDiffRec</c>: a next-item model trained on the prefixes (or windows) of each user's training sequence.</summary>
public sealed class SeqDiffRec : ISequentialRecommender
{
    public static readonly ModelCard Card = new("SeqDiffRec", "Du, Yuan, Huang, Zhao, Zhou, Sequential Recommendation with Diffusion Models (the paper's DiffRec)",
        "arXiv 2304.04541, 2023", "none published; built from the paper's equations (papers/du2023/README.md)", "sequential (next item)");

    public SeqDiffRecOptions Options { get; }
    public SeqDiffRecNetwork Network { get; }
    public GaussianDiffusion Diffusion { get; }
    public ITimestepSampler Sampler { get; }
    public Device Device { get; }
    public int Items { get; }
    /// <summary>β_0 of Eq. 6 as used (the option, or β_1).</summary>
    public double Beta0 { get; }
    /// <summary>The id of the [unk] slot appended at inference.</summary>
    public long Unknown => Items + 1;
    /// <summary>History items read at inference: T − 1 (the last slot is [unk]).</summary>
    public int MaxLength => Options.MaxLength - 1;
    public long ParameterCount => Network.parameters().Sum(p => p.numel());

    public SeqDiffRec(int items, SeqDiffRecOptions? options = null, Device? device = null)
    {
        Options = options ?? new SeqDiffRecOptions();
        Options.Validate();
        Items = items;
        Device = device ?? CPU;
        Network = new SeqDiffRecNetwork(items, Options);
        Network.to(Device);
        var schedule = Options.NoiseSchedule();
        Beta0 = Options.Beta0 ?? schedule.Betas[0];
        Diffusion = new GaussianDiffusion(schedule, Device);
        Sampler = Options.ImportanceSampling ? new LossSecondMomentSampler(Options.Steps) : new UniformTimestepSampler(Options.Steps);
    }

    /// <summary>h^0 of Eq. 6 for item ids [B, T]: E(v) + √β_0 ε (padding rows stay 0).</summary>
    public Tensor Embed(Tensor sequences, Generator? generator = null)
    {
        var e = Network.ItemEmbeddings.call(sequences);
        if (Beta0 == 0) return e;
        var noise = randn(e.shape, dtype: e.dtype, device: e.device, generator: generator);
        return e + noise.mul_(Math.Sqrt(Beta0)).mul_(sequences.ne(0).unsqueeze(-1).to_type(e.dtype));
    }

    /// <summary>The loss terms per example, exposed for tests and notebook 01: the weighted diffusion MSE, the rounding CE, the steps.</summary>
    public readonly record struct LossTerms(Tensor Mse, Tensor Rounding, Tensor Steps, Tensor Weight);

    /// <summary>
    /// The printed objective for windows [B, T] whose last item is the target: one step n per example (t = n − 1 here),
    /// MSE of f_θ(h_T^n, n) against h_T^0 (against E(v_T) at n = 1), mean over the H dimensions [D, as Diffusion-LM's
    /// mean_flat], divided by the importance weight T·p_t; plus −log softmax(W h_T^0 + b)[v_T].
    /// </summary>
    public LossTerms Terms(Tensor windows, Tensor? t = null, Tensor? noise = null)
    {
        var (b, len) = (windows.shape[0], windows.shape[1]);
        var target = windows[.., -1];
        var h0 = Embed(windows);
        var x0 = h0[.., -1, ..];
        Tensor pt;
        if (t is null) (t, pt) = Sampler.Sample(b, Device);
        else pt = ones(b, device: Device);
        noise ??= randn_like(h0);
        Tensor h;
        if (Options.TargetOnly)
            h = cat([h0[.., ..(int)(len - 1), ..], Diffusion.QSample(x0, t, noise[.., -1, ..]).unsqueeze(1)], 1);
        else // the ablation: every real position diffused to the same n
            h = Diffusion.QSample(h0, t, noise).mul_(windows.ne(0).unsqueeze(-1).to_type(float32));
        var predicted = Network.Denoise(h, t + 1, Network.Mask(windows));
        var clean = Network.ItemEmbeddings.call(target);
        var regressTo = where(t.eq(0).unsqueeze(1), clean, x0);                 // n = 1 regresses onto E(v_T)
        var mse = (predicted - regressTo).square().mean([1]);
        var rounding = F.cross_entropy(Network.Round(Options.RoundOn == SeqDiffRecRounding.Clean ? x0 : predicted), target, reduction: nn.Reduction.None);
        return new LossTerms(mse / pt, rounding, t, pt);
    }

    /// <summary>
    /// The mean objective over the windows, each length group on its trailing slots only: padded slots are inert (their
    /// keys masked, positions y_t counted from the right), so the groups give the same terms as the full width.
    /// </summary>
    public Tensor ComputeLoss(Tensor windows)
    {
        var groups = SequenceBatches.LengthGroups(windows).Select(g => Terms(SequenceBatches.Take(windows, g.Rows, g.Width))).ToList();
        var terms = groups.Count == 1 ? groups[0]
            : new LossTerms(cat(groups.Select(g => g.Mse).ToList(), 0), cat(groups.Select(g => g.Rounding).ToList(), 0),
                cat(groups.Select(g => g.Steps).ToList(), 0), cat(groups.Select(g => g.Weight).ToList(), 0));
        Sampler.Update(terms.Steps, (terms.Mse * terms.Weight).detach());      // the sampler learns from the unweighted losses
        return (terms.Mse + terms.Rounding).mean();
    }

    /// <summary>f_θ as a <see cref="Denoiser"/> on a fixed history h^0 [B, T−1, H]: x_t [B, H] fills the last slot, t is 0-based.</summary>
    public Denoiser Denoiser(Tensor history, Tensor mask) => (xt, t) => Network.Denoise(cat([history, xt.unsqueeze(1)], 1), t + 1, mask);

    /// <summary>Scores [B, I + 1] for left-padded histories [B, T − 1] by <see cref="SeqDiffRecOptions.Inference"/>.</summary>
    public Tensor Score(Tensor histories) => Score(histories, Options.Inference);

    /// <param name="onStep">Sees (t, h_T^{t}, f_θ) after each reverse step (Algorithm 2 only), for notebook 01.</param>
    /// <param name="draws">K of the one-step inference; null takes <see cref="SeqDiffRecOptions.Draws"/>.</param>
    /// <remarks>Without <paramref name="onStep"/>, the users run in length groups on their trailing slots (see <see cref="ComputeLoss"/>).</remarks>
    public Tensor Score(Tensor histories, SeqDiffRecInference inference, Action<int, Tensor, Tensor>? onStep = null, Generator? generator = null, int? draws = null)
    {
        var k = draws ?? Options.Draws;
        if (k < 1) throw new ArgumentException($"SeqDiffRec: draws must be at least 1, got {k}.");
        using var _ = no_grad();
        Network.eval();
        var windows = cat([histories, full(histories.shape[0], 1, Unknown, int64, histories.device)], 1);   // [v_…, [unk]]
        return onStep is not null ? ScoreWindows(windows, inference, onStep, generator, k)
            : SequenceBatches.ByLength(windows, w => ScoreWindows(w, inference, null, generator, k));
    }

    Tensor ScoreWindows(Tensor windows, SeqDiffRecInference inference, Action<int, Tensor, Tensor>? onStep, Generator? generator, int k)
    {
        var b = windows.shape[0];
        var mask = Network.Mask(windows);
        var h0 = Embed(windows, generator);                                                  // line 3
        var history = h0[.., ..(int)(windows.shape[1] - 1), ..];
        var unk = h0[.., -1, ..];
        var last = full(b, Options.Steps - 1, int64, Device);
        if (inference == SeqDiffRecInference.ReverseChain)
        {
            // lines 4–8: h_T^N = q(h_T^N | h^0[unk]); then N − 1 posterior steps with noise, and f_θ(h_T^1, 1) (the t = 0 step's mean)
            var options = new PSampleOptions { StartSteps = Options.Steps, AddNoise = true, MeanType = MeanType.StartX, OnStep = onStep, Generator = generator,
                Variance = Options.PosteriorVariance ? VarianceType.FixedSmall : VarianceType.FixedLarge };
            return Network.Round(Diffusion.PSample(Denoiser(history, mask), unk, options));
        }
        // the efficient inference: K draws of h_T^N, one prediction each, the K rounding distributions averaged
        Tensor? p = null;
        for (int i = 0; i < k; i++)
        {
            using var scope = NewDisposeScope();
            var xN = Diffusion.QSample(unk, last, randn(unk.shape, device: Device, generator: generator));
            var probabilities = F.softmax(Network.Round(Denoiser(history, mask)(xN, last)), 1);
            var sum = p is null ? probabilities : p.add_(probabilities);
            p = sum.MoveToOuterDisposeScope();
        }
        return p!.div_(k);
    }

    /// <summary>
    /// Trains on <see cref="Examples"/> (the last item of each row is its target), shuffled batches, Adam,
    /// validation by the protocol on <see cref="SeqDiffRecOptions.Inference"/>.
    /// </summary>
    public TrainingReport Fit(SequenceDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1)
    {
        protocol ??= EvaluationProtocol.Standard;
        var windows = Examples(data);
        using var __ = windows;
        using var optimizer = optim.Adam(Network.parameters(), lr: Options.LearningRate, weight_decay: Options.WeightDecay);
        return Trainer.Fit(Network, [optimizer], SequenceBatches.Shuffled(windows, windows, Options.BatchSize, new Random(seed)),
            batch => { Network.train(); return ComputeLoss(batch.Inputs); },
            () => Evaluator.Evaluate(Score, data, test: false, protocol, MaxLength, Device), training, progress, cancel);
    }

    /// <summary>How many training examples an epoch runs over (<see cref="Examples"/>'s rows).</summary>
    public long ExampleCount(SequenceDataset data)
    {
        using var examples = Examples(data);
        return examples.shape[0];
    }

    /// <summary>The training windows [N, T]: CBiT's windows, or every prefix (the target last) with <see cref="SeqDiffRecOptions.EveryPrefix"/>.</summary>
    public Tensor Examples(SequenceDataset data)
    {
        if (!Options.EveryPrefix) return SequenceBatches.Windows(data, Options.MaxLength, Options.WindowStride, Device);
        using var scope = NewDisposeScope();
        var (inputs, targets) = SequenceBatches.Prefixes(data, Options.MaxLength - 1, Device);
        return cat([inputs, targets.unsqueeze(1)], 1).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Diffusion.Dispose();
        Network.Dispose();
    }
}
