using System.Diagnostics;
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Reporting;
using ReproDiff.Runtime;
using ReproDiff.Training;

namespace ReproDiff.Reproduction;

/// <summary>
/// Li et al. 2023 (DiffuRec): Table 2 on the authors' leave-one-out splits, with the official protocol (full ranking, no
/// masking, mean of per-batch means, ×100). Full profile as src/trainer.py: up to 500 epochs, validation every 20 epochs,
/// stop after 5 evaluations in which no metric improved; the test score of the best model. The baselines train the same
/// way but validate every 5 epochs (an epoch of theirs is one pass over users, not over every prefix).
/// </summary>
public static class Li2023
{
    public const string Paper = "li2023";
    public static readonly string[] Models = ["DiffuRec", "SASRec", "GRU4Rec"];
    public static readonly string[] Datasets = ["diffurec-amazon-beauty", "diffurec-toys", "diffurec-ml-1m"];

    /// <summary>The dataset's name in the paper's Table 2.</summary>
    public static string PaperDataset(string dataset) => dataset switch
    {
        "diffurec-amazon-beauty" => "Beauty",
        "diffurec-toys" => "Toys",
        "diffurec-ml-1m" => "ML-1M",
        _ => throw new ReproDiffException($"--dataset {dataset}: li2023 reproduces {string.Join(", ", Datasets)}."),
    };

    public static ISequentialRecommender Create(string model, int items, TorchSharp.torch.Device device, DiffuRecOptions? diffuRec = null) => model switch
    {
        "DiffuRec" => new DiffuRec(items, diffuRec, device),
        "SASRec" => new SasRec(items, device: device),
        "GRU4Rec" => new Gru4Rec(items, device: device),
        _ => throw new ReproDiffException($"--model {model}: li2023 supports {string.Join(", ", Models)}."),
    };

    /// <summary>The quick profile runs on the first users of each dataset only: it checks the pipeline, not the paper.</summary>
    public const int QuickUsers = 1000;

    public static TrainingOptions Training(string model, string profile, TimeSpan? budget = null) => (profile, model) switch
    {
        ("full", "DiffuRec") => new() { MaxEpochs = 500, EvalEvery = 20, Patience = 5, Metric = TrainingOptions.AnyMetric, TimeBudget = budget },
        ("full", _) => new() { MaxEpochs = 500, EvalEvery = 5, Patience = 5, Metric = TrainingOptions.AnyMetric, TimeBudget = budget },
        ("quick", _) => new() { MaxEpochs = 2, EvalEvery = 1, Patience = 2, Metric = TrainingOptions.AnyMetric, TimeBudget = budget },
        _ => throw new ReproDiffException($"--profile {profile}: use quick or full."),
    };

    /// <summary>
    /// Trains and tests each model on each dataset for each seed. Every cell is reported under the official protocol and,
    /// beside it, our standard protocol (history masked, mean over users; no reference value, no verdict).
    /// A <paramref name="budget"/> caps each seed's training time; such runs say so in their stop reason.
    /// </summary>
    public static ReproductionResult Reproduce(IReadOnlyList<string> models, IReadOnlyList<string> datasets, string profile,
        IReadOnlyList<int> seeds, DataRoot root, string device, string command, IProgress<string>? progress = null,
        CancellationToken cancel = default, TimeSpan? budget = null)
    {
        foreach (var m in models) if (!Models.Contains(m)) throw new ReproDiffException($"--model {m}: li2023 supports {string.Join(", ", Models)}.");
        if (seeds.Count == 0) throw new ReproDiffException("--seeds: give at least one seed.");
        var dev = TorchRuntime.ResolveDevice(device);
        var environment = EnvironmentReport.Capture();
        var official = EvaluationProtocol.DiffuRec;
        var standard = EvaluationProtocol.Standard with { Metrics = ["HR", "NDCG"], Ks = [5, 10, 20], Scale = 100, BatchSize = 512 };
        var cells = new List<ReproducedCell>();
        var runs = new List<SeedRun>();
        foreach (var dataset in datasets)
        {
            var paperDataset = PaperDataset(dataset);
            var data = SequenceDataset.Load(root, dataset);
            if (profile == "quick") data = data.Head(QuickUsers);
            foreach (var model in models)
            {
                var perSeed = new List<(IReadOnlyDictionary<string, double> Official, IReadOnlyDictionary<string, double> Standard)>();
                var firstRun = runs.Count;
                foreach (var seed in seeds)
                {
                    cancel.ThrowIfCancellationRequested();
                    TorchRuntime.Seed(seed);
                    using var m = Create(model, data.Items, dev);
                    var watch = Stopwatch.StartNew();
                    var report = m.Fit(data, Training(model, profile, budget), official,
                        new SyncProgress<EpochReport>(e => progress?.Report($"{model} {dataset} seed {seed}: epoch {e.Epoch} loss {e.TrainLoss:F4} ({e.EpochTime.TotalSeconds:F1} s)" +
                            (e.Valid is { } v ? $" valid HR@10 {v["HR@10"]:F4} NDCG@10 {v["NDCG@10"]:F4}{(e.IsBest ? " (best)" : "")}" : ""))), cancel, seed);
                    var train = watch.Elapsed.TotalSeconds;
                    watch.Restart();
                    var test = Evaluator.Evaluate(m.Score, data, test: true, official, m.MaxLength, dev);
                    var testSeconds = watch.Elapsed.TotalSeconds;
                    var masked = Evaluator.Evaluate(m.Score, data, test: true, standard, m.MaxLength, dev);
                    runs.Add(new SeedRun(model, dataset, seed, report.Epochs.Count, report.BestEpoch, report.StopReason, Math.Round(train, 1),
                        Math.Round(report.SecondsPerEpochMedian, 3), Math.Round(testSeconds, 1), test.Values) { Parameters = m.ParameterCount });
                    perSeed.Add((test.Values, masked.Values));
                    progress?.Report($"{model} {dataset} seed {seed}: best epoch {report.BestEpoch} ({report.StopReason}), test {test}");
                }
                // A seed stopped by --budget-minutes did not converge: its cells say so beside the numeric verdict.
                var budgeted = runs.Skip(firstRun).Any(r => r.StopReason.StartsWith("time budget", StringComparison.Ordinal));
                foreach (var (protocol, pick) in new (EvaluationProtocol, Func<(IReadOnlyDictionary<string, double> O, IReadOnlyDictionary<string, double> S), IReadOnlyDictionary<string, double>>)[]
                         { (official, p => p.O), (standard, p => p.S) })
                    foreach (var metric in new[] { "HR", "NDCG" })
                        foreach (var k in new[] { 5, 10, 20 })
                        {
                            var values = perSeed.Select(p => pick(p)[$"{metric}@{k}"]).ToList();
                            var (mean, std) = ResultRow.MeanStd(values);
                            // The paper's numbers are under its own protocol only; the masked protocol is shown beside them without a verdict.
                            var reported = protocol == official ? ReportedResults.Find(Paper, "Table 2", paperDataset, model, metric + "(%)", k)?.Value : null;
                            var row = new ResultRow(Paper, "Table 2", dataset, model, metric, k, reported, mean, std, seeds, protocol.Name);
                            cells.Add(new ReproducedCell(Paper, reported is null ? "none (our standard protocol)" : "Table 2", dataset, model, metric, k,
                                reported, Math.Round(mean, 4), Math.Round(std, 4), seeds, protocol.ToString(),
                                budgeted && reported is not null && profile != "quick" ? $"{row.Verdict} (not converged: stopped by the time budget)" : row.VerdictFor(profile), values));
                        }
            }
        }
        return new ReproductionResult(environment, command, profile, cells, runs);
    }
}
