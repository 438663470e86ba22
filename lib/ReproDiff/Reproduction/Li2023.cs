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

    /// <summary>DiffuRec's official protocol (selects the best epoch, carries the verdicts).</summary>
    public static EvaluationProtocol Official => EvaluationProtocol.DiffuRec;
    /// <summary>Our standard protocol at the paper's cut-offs: history masked, mean over users; no reference value, no verdict.</summary>
    public static EvaluationProtocol Standard { get; } = EvaluationProtocol.Standard with { Metrics = ["HR", "NDCG"], Ks = [5, 10, 20], Scale = 100, BatchSize = 512 };

    /// <summary>
    /// Trains and tests each model on each dataset for each seed. Every cell is reported under the official protocol and,
    /// beside it, our standard protocol. A <paramref name="budget"/> caps each seed's training time; such runs say so in
    /// their stop reason and their verdicts.
    /// </summary>
    public static ReproductionResult Reproduce(IReadOnlyList<string> models, IReadOnlyList<string> datasets, string profile,
        IReadOnlyList<int> seeds, DataRoot root, string device, string command, IProgress<string>? progress = null,
        CancellationToken cancel = default, TimeSpan? budget = null, string? output = null, bool resume = false) =>
        Experiment.Run(Study, models, datasets, profile, seeds, root, device, command, progress, cancel, budget, output, resume);

    public static readonly Study Study = new LiStudy();

    sealed class LiStudy : Study
    {
        public override string Paper => Li2023.Paper;
        public override IReadOnlyList<string> Models => Li2023.Models;
        public override IReadOnlyList<string> Datasets => Li2023.Datasets;
        public override IReadOnlyList<EvaluationProtocol> Protocols { get; } = [Official, Standard];
        public override IReadOnlyList<(string Metric, int K)> Cells(EvaluationProtocol protocol) => [("HR", 5), ("HR", 10), ("HR", 20), ("NDCG", 5), ("NDCG", 10), ("NDCG", 20)];
        public override IReadOnlyList<string> ProgressMetrics { get; } = ["HR@10", "NDCG@10"];
        public override object Load(DataRoot root, string dataset, string profile)
        {
            var data = SequenceDataset.Load(root, dataset);
            return profile == "quick" ? data.Head(QuickUsers) : data;
        }
        public override Trial Create(string model, string dataset, object data, TorchSharp.torch.Device device)
        {
            var d = (SequenceDataset)data;
            return Trial.Sequential(model, Li2023.Create(model, d.Items, device), d, Official);
        }
        public override TrainingOptions Training(string model, string profile, TimeSpan? budget) => Li2023.Training(model, profile, budget);
        /// <summary>The paper's numbers are under its own protocol only.</summary>
        public override Reference? Find(string model, string dataset, EvaluationProtocol protocol, string metric, int k) =>
            protocol == Official ? new Reference("Table 2", ReportedResults.Find(Paper, "Table 2", PaperDataset(dataset), model, metric + "(%)", k)?.Value) : null;
        public override string NoReference(EvaluationProtocol protocol) => protocol == Official ? "none (not in the paper)" : "none (our standard protocol)";
    }
}
