// The training and scoring both classic baselines of DiffuRec's Table 2 share (SASRec, GRU4Rec): an encoder reads the
// left-padded sequence and every position predicts the next item by inner product with the tied item table, trained
// with cross-entropy over all items at every real position (RecBole's loss_type = 'CE'; see each model's header).
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Models;

/// <summary>Settings both baselines share; the defaults are RecBole's (DiffuRec did not publish its baselines' settings).</summary>
public sealed record NextItemOptions
{
    public int Hidden { get; init; } = 64;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 2;
    public double Dropout { get; init; } = 0.5;
    public int MaxLength { get; init; } = 50;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; }
    public int BatchSize { get; init; } = 256;

    public void Validate()
    {
        if (Hidden < 1 || Layers < 1 || Heads < 1 || MaxLength < 1 || BatchSize < 1 || !(LearningRate > 0))
            throw new ArgumentException("next-item model: hidden, layers, heads, max length, batch size and learning rate must be positive.");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"next-item model: dropout {Dropout} must be in [0, 1).");
    }
}

/// <summary>An encoder [B, L] → [B, L, H] over a tied item table, trained position-wise with cross-entropy.</summary>
public abstract class NextItemModel : ISequentialRecommender
{
    public NextItemOptions Options { get; }
    public Device Device { get; }
    public int Items { get; }
    public int MaxLength => Options.MaxLength;
    public abstract nn.Module Network { get; }
    public long ParameterCount => Network.parameters().Sum(p => p.numel());
    protected abstract TorchSharp.Modules.Embedding ItemEmbeddings { get; }

    protected NextItemModel(int items, NextItemOptions options, Device? device)
    {
        options.Validate();
        Options = options; Items = items; Device = device ?? CPU;
    }

    /// <summary>[B, L] left-padded item ids → [B, L, H] states; position i has seen items ≤ i only.</summary>
    public abstract Tensor Encode(Tensor sequences);

    /// <summary>
    /// Whether the states at real positions are the same however many padded columns precede them (padded keys masked,
    /// positions counted from the right, as SASRec's): then batches run in length groups on their trailing columns only
    /// (<see cref="SequenceBatches.LengthGroups"/>), the same sums up to rounding. A recurrent encoder reads the padding.
    /// </summary>
    protected virtual bool PaddingIsInert => false;

    /// <summary>Cross-entropy of each real position's state against every item (padding targets are skipped), averaged over the positions.</summary>
    public Tensor ComputeLoss(Tensor sequences, Tensor targets)
    {
        if (!PaddingIsInert) return CrossEntropy(sequences, targets, nn.Reduction.Mean);
        Tensor? sum = null;
        foreach (var (rows, width) in SequenceBatches.LengthGroups(sequences))
        {
            var part = CrossEntropy(SequenceBatches.Take(sequences, rows, width), SequenceBatches.Take(targets, rows, width), nn.Reduction.Sum);
            sum = sum is null ? part : sum + part;
        }
        return sum! / targets.count_nonzero();
    }

    Tensor CrossEntropy(Tensor sequences, Tensor targets, nn.Reduction reduction)
    {
        var states = Encode(sequences);
        var flat = targets.reshape(-1);
        var real = flat.nonzero().squeeze(1);                     // positions with a next item
        var h = states.reshape(-1, states.shape[2]).index_select(0, real);
        return ItemCrossEntropy(h, ItemEmbeddings.weight!, flat.index_select(0, real), reduction);
    }

    /// <summary>Scores per block of <see cref="ItemCrossEntropy"/>: 2 M floats, 8 MB, which stay in the CPU's cache.</summary>
    const long BlockScores = 1L << 21;

    /// <summary>
    /// Cross-entropy of the states <paramref name="h"/> [N, H] against every item of <paramref name="table"/> [V, H]
    /// (scores h·tableᵀ), summed or averaged over the N rows: the value and gradients of
    /// <c>cross_entropy(h.matmul(table.t()), targets)</c>, up to rounding. All N rows' scores at once are N × V floats
    /// (74 MB for a Beauty batch of SASRec, 90% of its counted work), written and read again by the softmax and by both
    /// gradient products. Here they are formed one block of rows at a time, and each block's gradient with respect to its
    /// scores, p − y (softmax minus one-hot), is multiplied out at once while it is in cache: ∂ℓ/∂h = (p − y)·table and
    /// ∂ℓ/∂table = (p − y)ᵀ·h. The result carries these gradients to autograd through ⟨h, ∂ℓ/∂h⟩ + ⟨table, ∂ℓ/∂table⟩
    /// minus its own value (bench/README.md, "SASRec's loss in blocks").
    /// </summary>
    internal static Tensor ItemCrossEntropy(Tensor h, Tensor table, Tensor targets, nn.Reduction reduction, long? blockRows = null)
    {
        if (reduction == nn.Reduction.None) throw new ArgumentException("item cross-entropy: reduction must be Sum or Mean.");
        long n = h.shape[0], rows = blockRows ?? Math.Max(16, BlockScores / table.shape[0]);
        var scale = reduction == nn.Reduction.Mean ? 1.0 / Math.Max(n, 1) : 1.0;
        var gradients = is_grad_enabled() && (h.requires_grad || table.requires_grad);
        Tensor loss, gradH = null!, gradTable = null!;
        using (no_grad())
        {
            loss = zeros(1, dtype: ScalarType.Float32, device: h.device);
            if (gradients)
            {
                gradH = zeros(h.shape, dtype: ScalarType.Float32, device: h.device);
                gradTable = zeros(table.shape, dtype: ScalarType.Float32, device: table.device);
            }
            for (long start = 0; start < n; start += rows)
            {
                using var scope = NewDisposeScope();
                var length = Math.Min(rows, n - start);
                var hBlock = h.narrow(0, start, length);
                var y = targets.narrow(0, start, length).unsqueeze(1);
                var scores = hBlock.matmul(table.t()).to_type(ScalarType.Float32);    // bf16 inside an autocast region
                var logZ = scores.logsumexp(1, keepdim: true);
                loss.add_((logZ - scores.gather(1, y)).sum());                        // −log softmax at the target
                if (!gradients) continue;
                var residual = scores.sub_(logZ).exp_().scatter_add_(1, y, full(y.shape, -1f, device: h.device));   // p − y
                gradH.narrow(0, start, length).copy_(residual.matmul(table));
                gradTable.add_(residual.t().matmul(hBlock));
            }
            loss = loss.squeeze(0).mul_(scale);
            if (gradients) { gradH.mul_(scale); gradTable.mul_(scale); }
        }
        if (!gradients) return loss;
        var surrogate = (h * gradH).sum() + (table * gradTable).sum();
        return surrogate - surrogate.detach() + loss;
    }

    public Tensor Score(Tensor histories)
    {
        using var _ = no_grad();
        Network.eval();
        return PaddingIsInert ? SequenceBatches.ByLength(histories, LastScores) : LastScores(histories);
    }

    Tensor LastScores(Tensor histories) => Encode(histories)[.., -1, ..].matmul(ItemEmbeddings.weight!.t());

    public TrainingReport Fit(SequenceDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1)
    {
        protocol ??= EvaluationProtocol.DiffuRec;
        var (inputs, targets) = SequenceBatches.Shifted(data, MaxLength, Device);
        using var __ = inputs;
        using var ___ = targets;
        using var optimizer = optim.Adam(Network.parameters(), lr: Options.LearningRate, weight_decay: Options.WeightDecay);
        return Trainer.Fit(Network, [optimizer], SequenceBatches.Shuffled(inputs, targets, Options.BatchSize, new Random(seed)),
            b => { Network.train(); return ComputeLoss(b.Inputs, b.Targets); },
            () => Evaluator.Evaluate(Score, data, test: false, protocol, MaxLength, Device), training, progress, cancel);
    }

    public void Dispose() => Network.Dispose();
}
