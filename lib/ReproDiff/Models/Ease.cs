// Two rivals every practitioner tries first (issue 14): most-popular, and EASE (Steck, "Embarrassingly Shallow
// Autoencoders for Sparse Data", WWW 2019), a closed-form item-item linear model.
using System.Diagnostics;
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Training;
using static TorchSharp.torch;

namespace ReproDiff.Models;

/// <summary>Scores every item by its number of training interactions, the same list for every user.</summary>
public sealed class MostPopular : IUserItemRecommender
{
    public static readonly ModelCard Card = new("MostPopular", "most-popular baseline", "—", "—", "general (user × item)");
    Tensor? popularity;
    public Device Device { get; }
    public MostPopular(Device? device = null) => Device = device ?? CPU;
    public long ParameterCount => 0;

    public TrainingReport Fit(InteractionDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1)
    {
        var clock = Stopwatch.StartNew();
        var counts = new float[data.Items];
        foreach (var i in data.Train.Indices) counts[i]++;
        popularity?.Dispose();
        popularity = tensor(counts, [1, data.Items]).to(Device).DetachFromDisposeScope();
        var valid = Evaluator.Evaluate(Score, data, test: false, protocol ?? EvaluationProtocol.DiffRec);
        var epoch = new EpochReport(1, 0, 0, clock.Elapsed, clock.Elapsed, valid, true, 0);
        progress?.Report(epoch);
        return new TrainingReport([epoch], 1, valid.Values.GetValueOrDefault(Ease.SelectionMetric(training)), "closed form (counts)", clock.Elapsed);
    }

    public Tensor Score(long[] users) =>
        (popularity ?? throw new InvalidOperationException("MostPopular: call Fit before scoring.")).expand(users.Length, -1);

    public void Dispose() => popularity?.Dispose();
}

/// <summary>EASE's settings: the grid of L2 weights λ tried on validation (Steck 2019 tunes λ per dataset).</summary>
public sealed record EaseOptions
{
    public double[] LambdaGrid { get; init; } = [10, 50, 100, 200, 500, 1000, 2000, 5000];
}

/// <summary>
/// EASE: B = argmin ‖X − XB‖² + λ‖B‖² subject to diag(B) = 0, in closed form: P = (XᵀX + λI)⁻¹, B_ij = −P_ij / P_jj
/// (i ≠ j), B_jj = 0 (Steck 2019, Eq. 8). Scores are X B. λ is chosen on validation by the training metric; each λ of the
/// grid is reported as one "epoch" of the training report. The Gram matrix and its inverse are computed in float64.
/// </summary>
public sealed class Ease : IUserItemRecommender
{
    public static readonly ModelCard Card = new("EASE", "Steck, Embarrassingly Shallow Autoencoders for Sparse Data", "WWW 2019", "—", "general (user × item)");
    public EaseOptions Options { get; }
    public Device Device { get; }
    /// <summary>The λ selected on validation.</summary>
    public double? Lambda { get; private set; }
    Tensor? x, b;

    public Ease(EaseOptions? options = null, Device? device = null)
    {
        Options = options ?? new EaseOptions();
        if (Options.LambdaGrid.Length == 0 || Options.LambdaGrid.Any(l => !(l > 0))) throw new ArgumentException("EASE: the λ grid needs positive values.");
        Device = device ?? CPU;
    }

    /// <summary>Items² weights (B), the model's only parameters.</summary>
    public long ParameterCount => b?.numel() ?? 0;

    /// <summary>B for one λ from the Gram matrix G = XᵀX (float64).</summary>
    public static Tensor Weights(Tensor gram, double lambda)
    {
        using var scope = NewDisposeScope();
        var n = gram.shape[0];
        var p = linalg.inv(gram + lambda * eye(n, dtype: float64, device: gram.device));
        var w = -p / p.diagonal().unsqueeze(0);          // column j divided by P_jj
        w.diagonal().zero_();                             // diag(B) = 0 (a view: writes through)
        return w.to_type(float32).MoveToOuterDisposeScope();
    }

    public TrainingReport Fit(InteractionDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1)
    {
        var clock = Stopwatch.StartNew();
        x?.Dispose(); b?.Dispose();
        x = DiffRec.Dense(data.Train, Device).DetachFromDisposeScope();
        using var x64 = x.to_type(float64);
        using var gram = x64.t().matmul(x64);
        var epochs = new List<EpochReport>();
        int best = 0; double bestValue = double.NegativeInfinity; Tensor? bestB = null;
        foreach (var lambda in Options.LambdaGrid)
        {
            cancel.ThrowIfCancellationRequested();
            var start = clock.Elapsed;
            b = Weights(gram, lambda).DetachFromDisposeScope();
            var valid = Evaluator.Evaluate(Score, data, test: false, protocol ?? EvaluationProtocol.DiffRec);
            var value = valid[SelectionMetric(training)];
            var isBest = value > bestValue;
            if (isBest) { bestValue = value; best = epochs.Count + 1; bestB?.Dispose(); bestB = b; Lambda = lambda; }
            else b.Dispose();
            var report = new EpochReport(epochs.Count + 1, 0, 0, clock.Elapsed - start, clock.Elapsed, valid, isBest, 0);
            epochs.Add(report);
            progress?.Report(report);
        }
        b = bestB;
        return new TrainingReport(epochs, best, bestValue, $"closed form: λ = {Lambda} of [{string.Join(", ", Options.LambdaGrid)}] by validation {SelectionMetric(training)}", clock.Elapsed);
    }

    /// <summary>The training rule's selection metric, or Recall@20 (DiffRec's) when it names none or "any".</summary>
    internal static string SelectionMetric(TrainingOptions training) =>
        training.Metric is null or TrainingOptions.AnyMetric ? "Recall@20" : training.Metric;

    public Tensor Score(long[] users)
    {
        if (x is null || b is null) throw new InvalidOperationException("EASE: call Fit before scoring.");
        return x.index_select(0, tensor(users, device: Device)).matmul(b);
    }

    public void Dispose() { x?.Dispose(); b?.Dispose(); }
}

/// <summary>Most-popular for next-item prediction: every history gets the items ranked by their count in the training sequences.</summary>
public sealed class SequentialMostPopular : ISequentialRecommender
{
    public static readonly ModelCard Card = new("MostPopular", "most-popular baseline", "—", "—", "sequential (next item)");
    Tensor? popularity;
    public Device Device { get; }
    public SequentialMostPopular(Device? device = null) => Device = device ?? CPU;
    public long ParameterCount => 0;
    /// <summary>It reads no history; the evaluator still passes one column.</summary>
    public int MaxLength => 1;

    public TrainingReport Fit(SequenceDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1)
    {
        var clock = Stopwatch.StartNew();
        var counts = new float[data.Items + 1];   // column 0 is the padding id, never counted
        foreach (var sequence in data.Train) foreach (var i in sequence) counts[i]++;
        popularity?.Dispose();
        popularity = tensor(counts, [1, data.Items + 1]).to(Device).DetachFromDisposeScope();
        var valid = Evaluator.Evaluate(Score, data, test: false, protocol ?? EvaluationProtocol.Standard, MaxLength, Device);
        var epoch = new EpochReport(1, 0, 0, clock.Elapsed, clock.Elapsed, valid, true, 0);
        progress?.Report(epoch);
        var metric = training.Metric is null or TrainingOptions.AnyMetric ? valid.Values.Keys.First() : training.Metric;
        return new TrainingReport([epoch], 1, valid.Values.GetValueOrDefault(metric), "closed form (counts)", clock.Elapsed);
    }

    public Tensor Score(Tensor histories) =>
        (popularity ?? throw new InvalidOperationException("MostPopular: call Fit before scoring.")).expand(histories.shape[0], -1);

    public void Dispose() => popularity?.Dispose();
}
