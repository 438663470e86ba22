// L-DiffRec on clean ML-1M with clusters given in a file (one cluster id per item, e.g. the released k-means's from
// tools/parity/kmeans_clusters.py --write): trains each seed with the released preset and prints the test metrics.
// A developer tool, not part of the solution:  dotnet run -c Release --project tools/parity/LDiffRecClusters -- <ids.txt> 1 2
using ReproDiff.Data; using ReproDiff.Models; using ReproDiff.Evaluation; using ReproDiff.Runtime; using ReproDiff.Reproduction;
using static TorchSharp.torch;
TorchRuntime.RetainFreedMemory();
var root = DataRoot.Resolve(null);   // ../shared/data beside the checkout, or REPRODIFF_DATA, as the CLI
var data = InteractionDataset.Load(root, "diffrec-ml-1m-clean");
var ids = File.ReadAllLines(args[0]).Select(long.Parse).ToArray();
foreach (var seed in args.Skip(1).Select(int.Parse))
{
    TorchRuntime.Seed(seed);
    using var m = new LDiffRec(ids, LDiffRecOptions.Preset("diffrec-ml-1m-clean"), CPU);
    var report = m.Fit(data, Wang2023.Training("full"), EvaluationProtocol.DiffRec, null, default, seed);
    var test = Evaluator.Evaluate(m.Score, data, test: true, EvaluationProtocol.DiffRec);
    Console.WriteLine($"seed {seed} params {m.ParameterCount} epochs {report.Epochs.Count} Recall@20 {test["Recall@20"]:F4} NDCG@20 {test["NDCG@20"]:F4} Recall@10 {test["Recall@10"]:F4} NDCG@10 {test["NDCG@10"]:F4}");
}
