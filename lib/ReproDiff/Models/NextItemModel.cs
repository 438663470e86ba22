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

    /// <summary>Cross-entropy of each real position's state against every item (padding targets are skipped).</summary>
    public Tensor ComputeLoss(Tensor sequences, Tensor targets)
    {
        var states = Encode(sequences);
        var flat = targets.view(-1);
        var real = flat.nonzero().squeeze(1);                     // positions with a next item
        var h = states.view(-1, states.shape[2]).index_select(0, real);
        return nn.functional.cross_entropy(h.matmul(ItemEmbeddings.weight!.t()), flat.index_select(0, real));
    }

    public Tensor Score(Tensor histories)
    {
        using var _ = no_grad();
        Network.eval();
        return Encode(histories)[.., -1, ..].matmul(ItemEmbeddings.weight!.t());
    }

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
