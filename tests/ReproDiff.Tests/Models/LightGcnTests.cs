using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Runtime;
using ReproDiff.Training;
using static TorchSharp.torch;

namespace ReproDiff.Tests.Models;

public class LightGcnTests
{
    [Fact]
    public void Adjacency_is_the_symmetric_degree_normalised_bipartite_graph()
    {
        // user 0: items 0, 1; user 1: item 1. Degrees: u0 2, u1 1, i0 1, i1 2.
        var r = SparseMatrix.FromPairs(2, 2, [0, 0, 1], [0, 1, 1]);
        var a = LightGcn.NormalisedAdjacency(r, CPU).to_dense();
        Assert.True(a.allclose(a.t()));
        Assert.Equal(1 / Math.Sqrt(2 * 1), a[0, 2].item<float>(), 5);   // u0–i0
        Assert.Equal(1 / Math.Sqrt(2 * 2), a[0, 3].item<float>(), 5);   // u0–i1
        Assert.Equal(1 / Math.Sqrt(1 * 2), a[1, 3].item<float>(), 5);   // u1–i1
        Assert.Equal(0, a[0, 1].item<float>());                          // no user–user edges
    }

    [Fact]
    public void Learns_planted_interests_and_its_item_embeddings_cluster_by_topic()
    {
        var data = Synthetic.Interactions(new Synthetic.Options(Users: 400, Items: 200, Topics: 8, Seed: 5));
        TorchRuntime.Seed(1);
        using var model = new LightGcn(data.Users, data.Items, new LightGcnOptions { Dim = 16, LearningRate = 5e-3, BatchSize = 512 });
        var report = model.Fit(data, new TrainingOptions { MaxEpochs = 40 });
        Assert.True(report.Epochs[^1].TrainLoss < 0.7 * report.Epochs[0].TrainLoss, $"{report.Epochs[0].TrainLoss} → {report.Epochs[^1].TrainLoss}");
        var pop = new float[data.Items];
        foreach (var i in data.Train.Indices) pop[i]++;
        var p = tensor(pop);
        var popular = Evaluator.Evaluate(u => p.unsqueeze(0).expand(u.Length, -1), data, true, EvaluationProtocol.DiffRec)["Recall@20"];
        var ours = Evaluator.Evaluate(model.Score, data, true, EvaluationProtocol.DiffRec)["Recall@20"];
        Assert.True(ours > 1.5 * popular, $"LightGCN {ours} vs popular {popular}");
        // Synthetic item i belongs to topic i % 8: k-means on the learned embeddings should mostly recover the topics.
        var e = model.ItemEmbeddings();
        Assert.Equal(new[] { data.Items, 16 }, new[] { e.GetLength(0), e.GetLength(1) });
        TorchRuntime.Seed(1);
        var clusters = KMeans.Fit(tensor(e), 8).data<long>().ToArray();
        var purity = Enumerable.Range(0, 8).Sum(c => Enumerable.Range(0, data.Items).Where(i => clusters[i] == c)
            .GroupBy(i => i % 8).Select(g => g.Count()).DefaultIfEmpty(0).Max()) / (double)data.Items;
        Assert.True(purity > 0.6, $"cluster purity {purity}");
    }
}
