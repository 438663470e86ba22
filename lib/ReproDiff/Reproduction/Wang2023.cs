using System.Diagnostics;
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Reporting;
using ReproDiff.Runtime;
using ReproDiff.Training;

namespace ReproDiff.Reproduction;

/// <summary>One reproduced cell, in the JSON contract of design.md §5 (snake_case on disk).</summary>
public sealed record ReproducedCell(string Paper, string Table, string Dataset, string Model, string Metric, int K,
    double? Reported, double OursMean, double OursStd, IReadOnlyList<int> Seeds, string Protocol, string Verdict, IReadOnlyList<double> PerSeed);

/// <summary>A run of <c>reprodiff reproduce</c>: environment, settings, timings and cells.</summary>
public sealed record ReproductionResult(EnvironmentReport Environment, string Command, string Profile,
    IReadOnlyList<ReproducedCell> Cells, IReadOnlyList<SeedRun> Runs);

/// <summary>One seed's training: epochs, best epoch, stop reason, seconds, and the test metrics at the best epoch.</summary>
public sealed record SeedRun(string Model, string Dataset, int Seed, int Epochs, int BestEpoch, string StopReason,
    double TrainSeconds, double SecondsPerEpoch, double TestEvalSeconds, IReadOnlyDictionary<string, double> Test)
{
    /// <summary>Trainable parameters (Table 6's "#par."); absent in files written before it was recorded.</summary>
    public long? Parameters { get; init; }
    /// <summary>Every test of this seed: one per row (model or inference variant) and protocol; absent in files written before the experiment runner.</summary>
    public IReadOnlyList<TestResult>? Results { get; init; }
    /// <summary>The checkout's HEAD when the run that trained this seed started (a resumed study can mix commits; each run says which). Uncommitted changes are not detected.</summary>
    public string? Commit { get; init; }
    /// <summary>The per-seed training budget in minutes, when one was set.</summary>
    public double? Budget { get; init; }
    /// <summary>Seconds from the start of training to the end of the best epoch, validations included (the time a user waits for the model that is kept).</summary>
    public double? SecondsToBest { get; init; }
    /// <summary>The process's peak resident memory (MiB) during this seed's training and test (Linux VmHWM, reset at the seed's start; null where it cannot be reset).</summary>
    public double? PeakMemoryMb { get; init; }
    /// <summary>"bf16" when trained with bf16 mixed precision (<see cref="Runtime.MixedPrecision"/>); absent for fp32 (so fp32 files read as before).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Precision { get; init; }
    /// <summary>The file of another study this run was taken from (<c>reproduce --import</c>, <see cref="Study.Imports"/>); absent for a run this study trained.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? ImportedFrom { get; init; }
}

/// <summary>
/// Wang et al. 2023 (DiffRec): which model and dataset map to which table, the released presets and the official
/// protocol. Full profile: up to 1000 epochs, validation every 5 epochs, stop after 20 epochs without a better
/// validation Recall@20 (DiffRec/main.py); test metrics at the best epoch.
/// </summary>
public static class Wang2023
{
    public const string Paper = "wang2023";
    public static readonly string[] Models = ["DiffRec", "T-DiffRec", "L-DiffRec", "LT-DiffRec", "MultVAE"];
    public static readonly string[] Datasets = ["diffrec-ml-1m-clean", "diffrec-ml-1m-noisy"];

    /// <summary>The table and dataset label of the paper for a dataset card, and the model's row name there.</summary>
    static (string Table, string Dataset) Cell(string dataset) => dataset switch
    {
        "diffrec-ml-1m-clean" => ("Table 2", "ML-1M"),
        "diffrec-ml-1m-noisy" => ("Table 3", "ML-1M"),
        _ => throw new ReproDiffException($"--dataset {dataset}: wang2023 reproduces {string.Join(", ", Datasets)}."),
    };

    /// <summary>A model with its released (or, for MultVAE, its own published) settings for the dataset.</summary>
    public static IUserItemRecommender Create(string model, string dataset, InteractionDataset data, TorchSharp.torch.Device device) => model switch
    {
        "DiffRec" => new DiffRec(data.Items, DiffRecOptions.Preset(dataset), device),
        "T-DiffRec" => new DiffRec(data.Items, DiffRecOptions.Preset(dataset, timeAware: true), device),
        "L-DiffRec" or "LT-DiffRec" => new LDiffRec(data.ItemEmbeddings ?? throw new ReproDiffException($"{dataset} has no item_emb.tsv; L-DiffRec clusters items by their embeddings."),
            LDiffRecOptions.Preset(dataset, timeAware: model == "LT-DiffRec"), device),
        "MultVAE" => new MultVae(data.Items, new MultVaeOptions(), device),
        _ => throw new ReproDiffException($"--model {model}: wang2023 supports {string.Join(", ", Models)} so far."),
    };

    /// <summary>
    /// Where the paper reports a model on ML-1M: DiffRec and MultVAE in Table 2 (clean) and 3 (noisy); L-DiffRec in
    /// Table 6 (clean) and Table 4 (noisy); T- and LT-DiffRec nowhere (Table 7 is Amazon-book and Yelp only).
    /// </summary>
    static string? TableOf(string model, string datasetTable) => model switch
    {
        "L-DiffRec" => datasetTable == "Table 2" ? "Table 6" : "Table 4",
        "T-DiffRec" or "LT-DiffRec" => null,
        _ => datasetTable,
    };

    /// <summary>The row name of a model in the paper's tables.</summary>
    static string PaperName(string model) => model == "MultVAE" ? "MultiVAE" : model;

    public static TrainingOptions Training(string profile) => profile switch
    {
        "full" => new() { MaxEpochs = 1000, EvalEvery = 5, Patience = 4, Metric = "Recall@20" },
        "quick" => new() { MaxEpochs = 10, EvalEvery = 5, Patience = 4, Metric = "Recall@20" },
        _ => throw new ReproDiffException($"--profile {profile}: use quick or full."),
    };

    public static ReproductionResult Reproduce(IReadOnlyList<string> models, IReadOnlyList<string> datasets, string profile,
        IReadOnlyList<int> seeds, DataRoot root, string device, string command, IProgress<string>? progress = null, CancellationToken cancel = default,
        string? output = null, bool resume = false) =>
        Experiment.Run(Study, models, datasets, profile, seeds, root, device, command, progress, cancel, output: output, resume: resume);

    /// <summary>The study the experiment runner runs: the official protocol only, Recall and NDCG at 10 and 20.</summary>
    public static readonly Study Study = new WangStudy();

    sealed class WangStudy : Study
    {
        public override string Paper => Wang2023.Paper;
        public override IReadOnlyList<string> Models => Wang2023.Models;
        public override IReadOnlyList<string> Datasets => Wang2023.Datasets;
        public override IReadOnlyList<EvaluationProtocol> Protocols { get; } = [EvaluationProtocol.DiffRec];
        public override IReadOnlyList<(string Metric, int K)> Cells(EvaluationProtocol protocol) => [("Recall", 10), ("Recall", 20), ("NDCG", 10), ("NDCG", 20)];
        public override IReadOnlyList<string> ProgressMetrics { get; } = ["Recall@20"];
        public override object Load(DataRoot root, string dataset, string profile) => InteractionDataset.Load(root, dataset);
        public override Trial Create(string model, string dataset, object data, TorchSharp.torch.Device device) =>
            Trial.UserItem(model, Wang2023.Create(model, dataset, (InteractionDataset)data, device), (InteractionDataset)data, EvaluationProtocol.DiffRec);
        public override TrainingOptions Training(string model, string profile, TimeSpan? budget) => Wang2023.Training(profile) with { TimeBudget = budget };

        /// <summary>Table 7 (temporal training) has Amazon-book and Yelp only: T- and LT-DiffRec on ML-1M have no reference.</summary>
        public override Reference? Find(string model, string dataset, EvaluationProtocol protocol, string metric, int k)
        {
            var table = TableOf(model, Cell(dataset).Table);
            return table is null ? null : new Reference(table, ReportedResults.Find(Paper, table, Cell(dataset).Dataset, PaperName(model), metric, k)?.Value);
        }
    }
}

/// <summary>Reads and writes reproduce results in the JSON contract (snake_case), atomically.</summary>
public static class ReproductionJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerOptions.Default)
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower, WriteIndented = true,
    };

    /// <summary>Runs that carry per-user values (the comparison's) are written without indentation: one number per line would multiply the file's size.</summary>
    static readonly System.Text.Json.JsonSerializerOptions Compact = new(Options) { WriteIndented = false };

    public static void Save(ReproductionResult result, string path) =>
        AtomicFile.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(result,
            result.Runs.Any(r => r.Results?.Any(t => t.PerUser is not null) == true) ? Compact : Options) + "\n");

    public static ReproductionResult Load(string path)
    {
        if (!File.Exists(path)) throw new ReproDiffException($"{path}: file not found.");
        try { return System.Text.Json.JsonSerializer.Deserialize<ReproductionResult>(File.ReadAllText(path), Options) ?? throw new System.Text.Json.JsonException("empty"); }
        catch (System.Text.Json.JsonException e) { throw new ReproDiffException($"{path}: not a reproduce result ({e.Message})."); }
    }

    /// <summary>The cells as result rows, for tables and charts, with their verdicts as stored (never recomputed).</summary>
    public static IEnumerable<ResultRow> Rows(ReproductionResult result) => result.Cells.Select(c =>
        new ResultRow(c.Paper, c.Table, c.Dataset, c.Model, c.Metric, c.K, c.Reported, c.OursMean, c.OursStd, c.Seeds, c.Protocol.Split(':')[0], c.Verdict));
}
