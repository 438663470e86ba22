namespace ReproDiff.Evaluation;

/// <summary>
/// Top-K metrics of one ranked list against a ground-truth set, as the official repositories define them
/// (DiffRec <c>evaluate_utils.computeTopNAccuracy</c>, DiffuRec <c>utils.py</c>). Ranks are 0-based positions in the list.
/// </summary>
public static class Metrics
{
    public static readonly string[] Names = ["Recall", "Precision", "NDCG", "MRR", "HR"];

    /// <summary>hits / |G|: divides by the whole ground truth, not min(K, |G|) (DiffRec).</summary>
    public static double Recall(ReadOnlySpan<int> topK, IReadOnlySet<int> truth) => truth.Count == 0 ? 0 : (double)Hits(topK, truth) / truth.Count;

    /// <summary>hits / K.</summary>
    public static double Precision(ReadOnlySpan<int> topK, IReadOnlySet<int> truth) => topK.Length == 0 ? 0 : (double)Hits(topK, truth) / topK.Length;

    /// <summary>DCG / IDCG with gains 1/log2(rank + 2); IDCG over min(|G|, K) positions.</summary>
    public static double Ndcg(ReadOnlySpan<int> topK, IReadOnlySet<int> truth)
    {
        if (truth.Count == 0) return 0;
        double dcg = 0, idcg = 0;
        for (int i = 0; i < topK.Length; i++) if (truth.Contains(topK[i])) dcg += 1 / Math.Log2(i + 2);
        for (int i = 0; i < Math.Min(truth.Count, topK.Length); i++) idcg += 1 / Math.Log2(i + 2);
        return dcg / idcg;
    }

    /// <summary>1 / (rank + 1) of the first hit, else 0.</summary>
    public static double Mrr(ReadOnlySpan<int> topK, IReadOnlySet<int> truth)
    {
        for (int i = 0; i < topK.Length; i++) if (truth.Contains(topK[i])) return 1.0 / (i + 1);
        return 0;
    }

    /// <summary>1 when any ground-truth item is in the list (hit ratio).</summary>
    public static double Hr(ReadOnlySpan<int> topK, IReadOnlySet<int> truth) => Hits(topK, truth) > 0 ? 1 : 0;

    public static double Compute(string metric, ReadOnlySpan<int> topK, IReadOnlySet<int> truth) => metric switch
    {
        "Recall" => Recall(topK, truth),
        "Precision" => Precision(topK, truth),
        "NDCG" => Ndcg(topK, truth),
        "MRR" => Mrr(topK, truth),
        "HR" => Hr(topK, truth),
        _ => throw new ArgumentException($"unknown metric '{metric}'; known: {string.Join(", ", Names)}."),
    };

    static int Hits(ReadOnlySpan<int> topK, IReadOnlySet<int> truth)
    {
        int h = 0;
        foreach (var i in topK) if (truth.Contains(i)) h++;
        return h;
    }
}
