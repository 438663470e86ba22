using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Training;
using static TorchSharp.torch;

namespace ReproDiff.Tests.Models;

/// <summary>Most-popular and EASE, the comparison's simple rivals (issue 14).</summary>
public class BaselineModelTests
{
    static readonly InteractionDataset Data = Synthetic.Interactions(new Synthetic.Options(Users: 400, Items: 200, Topics: 8, Seed: 5));

    /// <summary>B for a 5 × 4 matrix and λ = 2, from NumPy: P = inv(XᵀX + 2I), B = −P / diag(P) by column, diagonal 0.</summary>
    [Fact]
    public void EaseWeightsAreTheClosedForm()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[,] { { 1, 1, 0, 0 }, { 0, 1, 1, 0 }, { 1, 0, 1, 1 }, { 1, 1, 1, 0 }, { 0, 0, 1, 1 } });
        var b = Ease.Weights(x.t().matmul(x), 2);
        var expected = tensor(new float[,] {
            { 0f, 0.3255813953f, 0.1772151899f, 0.137254902f },
            { 0.3333333333f, 0f, 0.3291139241f, -0.1960784314f },
            { 0.1666666667f, 0.3023255814f, 0f, 0.3529411765f },
            { 0.1666666667f, -0.2325581395f, 0.4556962025f, 0f } });
        Assert.True(b.allclose(expected, rtol: 0, atol: 1e-6), b.ToString(TorchSharp.TensorStringStyle.Numpy));
    }

    [Fact]
    public void MostPopularScoresEveryUserByTrainingCounts()
    {
        using var m = new MostPopular();
        var report = m.Fit(Data, new TrainingOptions { Metric = "Recall@20" });
        Assert.Single(report.Epochs);
        var s = m.Score([0, 7]);
        var counts = new float[Data.Items];
        foreach (var i in Data.Train.Indices) counts[i]++;
        Assert.Equal(counts, s[0].data<float>().ToArray());
        Assert.Equal(counts, s[1].data<float>().ToArray());
    }

    [Fact]
    public void EaseSelectsLambdaOnValidationAndBeatsPopularity()
    {
        using var pop = new MostPopular();
        pop.Fit(Data, new TrainingOptions());
        using var ease = new Ease(new EaseOptions { LambdaGrid = [1, 10, 100, 1000] });
        var report = ease.Fit(Data, new TrainingOptions { Metric = "Recall@20" });
        Assert.Equal(4, report.Epochs.Count);
        Assert.Equal(report.Epochs.Max(e => e.Valid!["Recall@20"]), report.BestValue);
        Assert.Contains(ease.Lambda!.Value, new double[] { 1, 10, 100, 1000 });
        Assert.Equal((long)Data.Items * Data.Items, ease.ParameterCount);
        var easeRecall = Evaluator.Evaluate(ease.Score, Data, true, EvaluationProtocol.DiffRec)["Recall@20"];
        var popRecall = Evaluator.Evaluate(pop.Score, Data, true, EvaluationProtocol.DiffRec)["Recall@20"];
        Assert.True(easeRecall > 1.2 * popRecall, $"EASE {easeRecall:F4} vs most popular {popRecall:F4}");
    }

    /// <summary>The lists Evaluate passes out give each user's value; their sum over all users is the protocol's mean (DiffRec: all users in the denominator, 4 decimals).</summary>
    [Fact]
    public void TopListsGiveThePerUserValuesBehindTheMean()
    {
        using var pop = new MostPopular();
        pop.Fit(Data, new TrainingOptions());
        var lists = new Evaluator.TopLists();
        var mean = Evaluator.Evaluate(pop.Score, Data, true, EvaluationProtocol.DiffRec, lists.Add)["Recall@20"];
        Assert.Equal(Data.Users, lists.ByUser.Count);
        Assert.All(lists.Top(20), l => Assert.Equal(20, l.Length));
        var perUser = Enumerable.Range(0, Data.Users).Select(u => Metrics.Recall(lists.ByUser[u].AsSpan(0, 20), Data.Test.Row(u).ToArray().ToHashSet())).ToArray();
        Assert.Equal(mean, Math.Round(perUser.Sum() / Data.Users, 4), 12);
    }
}
