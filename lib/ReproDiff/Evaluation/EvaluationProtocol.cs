using System.Globalization;

namespace ReproDiff.Evaluation;

/// <summary>How per-user values become one number.</summary>
public enum Averaging
{
    /// <summary>Sum over users with ground truth, divided by every evaluated user (DiffRec's <c>computeTopNAccuracy</c>).</summary>
    AllUsers,
    /// <summary>Mean over users with ground truth (the usual definition).</summary>
    UsersWithTruth,
    /// <summary>Mean of per-batch means over batches of <see cref="EvaluationProtocol.BatchSize"/> users (DiffuRec's trainer).</summary>
    MeanOfBatchMeans,
}

/// <summary>
/// Everything that changes a reported number besides the model: which metrics at which K, whether seen items are
/// masked, how users are averaged, scale and rounding. The official repositories differ exactly here
/// (style-anchors.md §4), so every result carries its protocol and prints it.
/// </summary>
public sealed record EvaluationProtocol
{
    public required string Name { get; init; }
    public IReadOnlyList<string> Metrics { get; init; } = ["Recall", "NDCG"];
    public IReadOnlyList<int> Ks { get; init; } = [10, 20];
    /// <summary>Mask the user's known items (train, plus valid at test time) before ranking.</summary>
    public bool ExcludeSeen { get; init; } = true;
    public Averaging Averaging { get; init; } = Averaging.UsersWithTruth;
    /// <summary>Users per scoring batch; also the batch of <see cref="Averaging.MeanOfBatchMeans"/>.</summary>
    public int BatchSize { get; init; } = 1024;
    /// <summary>1, or 100 for percentages (DiffuRec).</summary>
    public double Scale { get; init; } = 1;
    /// <summary>Decimals to round to after scaling (DiffRec rounds to 4), or null.</summary>
    public int? RoundDecimals { get; init; }

    /// <summary>DiffRec's <c>evaluate_utils.computeTopNAccuracy</c>: history masked, Recall/Precision/NDCG/MRR at 10/20/50/100, all users in the denominator, 4 decimals.</summary>
    public static EvaluationProtocol DiffRec { get; } = new()
    {
        Name = "diffrec-official", Metrics = ["Recall", "Precision", "NDCG", "MRR"], Ks = [10, 20, 50, 100],
        ExcludeSeen = true, Averaging = Averaging.AllUsers, BatchSize = 400, RoundDecimals = 4,
    };

    /// <summary>DiffuRec's trainer: seen items not masked, HR and NDCG at 5/10/20, mean of per-batch means (batch 512), ×100.</summary>
    public static EvaluationProtocol DiffuRec { get; } = new()
    {
        Name = "diffurec-official", Metrics = ["HR", "NDCG"], Ks = [5, 10, 20],
        ExcludeSeen = false, Averaging = Averaging.MeanOfBatchMeans, BatchSize = 512, Scale = 100,
    };

    /// <summary>Our standard protocol: history masked, mean over users with ground truth, no rounding.</summary>
    public static EvaluationProtocol Standard { get; } = new()
    {
        Name = "standard", Metrics = ["Recall", "Precision", "NDCG", "MRR", "HR"], Ks = [10, 20],
        ExcludeSeen = true, Averaging = Averaging.UsersWithTruth,
    };

    public IEnumerable<string> Keys => Metrics.SelectMany(m => Ks.Select(k => $"{m}@{k}"));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}: {string.Join("/", Metrics)} at {string.Join("/", Ks)}; full ranking; seen items {(ExcludeSeen ? "masked" : "not masked")}; " +
        $"averaged {Averaging switch { Averaging.AllUsers => "over all users (users without truth count as 0)", Averaging.UsersWithTruth => "over users with ground truth", _ => $"as the mean of per-batch means (batch {BatchSize})" }}" +
        $"{(Scale != 1 ? $"; ×{Scale}" : "")}{(RoundDecimals is { } d ? $"; rounded to {d} decimals" : "")}");
}
