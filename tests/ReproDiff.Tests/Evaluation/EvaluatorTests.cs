using ReproDiff.Evaluation;
using static TorchSharp.torch;

namespace ReproDiff.Tests.Evaluation;

/// <summary>Golden tests on hand-computed rankings, one per averaging policy.</summary>
public class EvaluatorTests
{
    static readonly HashSet<int> Truth = [2, 5, 7];

    [Fact]
    public void MetricsOfOneRankingByHand()
    {
        int[] top = [5, 1, 7, 3];                      // hits at ranks 0 and 2
        Assert.Equal(2.0 / 3, Metrics.Recall(top, Truth), 12);
        Assert.Equal(0.5, Metrics.Precision(top, Truth), 12);
        var dcg = 1 / Math.Log2(2) + 1 / Math.Log2(4);
        var idcg = 1 / Math.Log2(2) + 1 / Math.Log2(3) + 1 / Math.Log2(4);
        Assert.Equal(dcg / idcg, Metrics.Ndcg(top, Truth), 12);
        Assert.Equal(1.0, Metrics.Mrr(top, Truth), 12);
        Assert.Equal(1.0, Metrics.Hr(top, Truth), 12);
        Assert.Equal(1.0 / 3, Metrics.Mrr([0, 1, 2], Truth), 12);
        // IDCG uses min(|G|, K): with K = 2 and three truths, two ideal positions.
        Assert.Equal(1 / (1 + 1 / Math.Log2(3)), Metrics.Ndcg([5, 1], Truth), 12);
        // Recall divides by |G|, not min(K, |G|) (DiffRec).
        Assert.Equal(1.0 / 3, Metrics.Recall([5], Truth), 12);
    }

    // Three users over six items. Scores rank items 0..5 in the order given; user 2 has no ground truth.
    static readonly float[][] Scores =
    [
        [6, 5, 4, 3, 2, 1],  // ranking 0,1,2,3,4,5; truth {1}   -> hit at rank 1
        [1, 2, 3, 4, 5, 6],  // ranking 5,4,3,2,1,0; truth {0,3} -> hit at rank 2 (K=3)
        [3, 1, 2, 6, 5, 4],  // no truth
    ];
    static readonly Dictionary<int, IReadOnlySet<int>> Truths = new() { [0] = new HashSet<int> { 1 }, [1] = new HashSet<int> { 0, 3 }, [2] = new HashSet<int>() };

    static MetricSet Run(EvaluationProtocol p) =>
        Evaluator.Evaluate(batch => tensor(batch.SelectMany(b => Scores[b]).ToArray()).view(batch.Length, 6), [0, 1, 2], u => Truths[u], p);

    static EvaluationProtocol P(Averaging a, int batch = 10) => new() { Name = "t", Metrics = ["Recall", "HR"], Ks = [3], ExcludeSeen = false, Averaging = a, BatchSize = batch };

    [Fact]
    public void UsersWithTruthAverage()
    {
        var m = Run(P(Averaging.UsersWithTruth));
        Assert.Equal((1.0 + 0.5) / 2, m["Recall@3"], 12);
        Assert.Equal(1.0, m["HR@3"], 12);
    }

    [Fact]
    public void AllUsersAverageCountsUsersWithoutTruthInTheDenominator()
    {
        var m = Run(P(Averaging.AllUsers));
        Assert.Equal((1.0 + 0.5) / 3, m["Recall@3"], 12);
    }

    [Fact]
    public void MeanOfBatchMeansOverweightsTheSmallLastBatch()
    {
        // batch 2: users {0,1} mean 0.75; batch {2} has no truth and is skipped. Use batch 1: means 1.0 and 0.5.
        Assert.Equal(0.75, Run(P(Averaging.MeanOfBatchMeans, batch: 1))["Recall@3"], 12);
        // Users 0,1 with recalls 1 and 0.5, plus a third user with recall 0: batch of 2 -> (0.75 + 0) / 2 differs from 0.5.
        Truths[2] = new HashSet<int> { 1 };  // user 2's ranking puts item 1 last: recall 0
        try
        {
            Assert.Equal((0.75 + 0.0) / 2, Run(P(Averaging.MeanOfBatchMeans, batch: 2))["Recall@3"], 12);
            Assert.Equal(0.5, Run(P(Averaging.UsersWithTruth))["Recall@3"], 12);
        }
        finally { Truths[2] = new HashSet<int>(); }
    }

    [Fact]
    public void ExcludeSeenMasksHistoryScaleAndRoundingApply()
    {
        var seen = ReproDiff.Data.SparseMatrix.FromPairs(3, 6, [0], [0]);   // user 0 has seen item 0 (its top item)
        var p = P(Averaging.UsersWithTruth) with { ExcludeSeen = true, Metrics = ["NDCG"], Ks = [1], Scale = 100, RoundDecimals = 2 };
        var m = Evaluator.Evaluate(batch => tensor(batch.SelectMany(b => Scores[b]).ToArray()).view(batch.Length, 6), [0, 1, 2], u => Truths[u], p, [seen]);
        Assert.Equal(50.0, m["NDCG@1"], 12);   // user 0 now ranks item 1 first (hit); user 1 ranks item 5 first (miss)
        Assert.Contains("seen items masked", m.Protocol.ToString());
        Assert.Contains("×100", m.Protocol.ToString());
    }

    [Fact]
    public void RecommendMasksTheHistory()
    {
        var seen = ReproDiff.Data.SparseMatrix.FromPairs(3, 6, [0, 0], [0, 2]);
        var top = Evaluator.Recommend(batch => tensor(batch.SelectMany(b => Scores[b]).ToArray()).view(batch.Length, 6), [0, 1], 2, [seen]);
        Assert.Equal([1, 3], top[0]);   // items 0 and 2 were seen
        Assert.Equal([5, 4], top[1]);
    }

    [Fact]
    public void PresetsDescribeTheOfficialProtocols()
    {
        Assert.Equal("diffrec-official: Recall/Precision/NDCG/MRR at 10/20/50/100; full ranking; seen items masked; averaged over all users (users without truth count as 0); rounded to 4 decimals",
            EvaluationProtocol.DiffRec.ToString());
        Assert.Equal("diffurec-official: HR/NDCG at 5/10/20; full ranking; seen items not masked; averaged as the mean of per-batch means (batch 512); ×100",
            EvaluationProtocol.DiffuRec.ToString());
    }
}
