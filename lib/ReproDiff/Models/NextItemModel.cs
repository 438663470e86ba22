// The training and scoring both classic baselines of DiffuRec's Table 2 share (SASRec, GRU4Rec): an encoder reads the
// left-padded sequence and every position predicts the next item by inner product with the tied item table, trained
// with cross-entropy over all items at every real position (RecBole's loss_type = 'CE'; see each model's header).
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Runtime;
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
        var y = flat.index_select(0, real);
        if (MixedPrecision.InRegion) (real, y) = SequenceBatches.RoundUpRows(real, y);
        var h = states.reshape(-1, states.shape[2]).index_select(0, real);
        return nn.functional.cross_entropy(h.matmul(ItemEmbeddings.weight!.t()), y, ignore_index: SequenceBatches.IgnoredTarget, reduction: reduction);
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
