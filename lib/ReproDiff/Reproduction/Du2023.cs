using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Training;
using TorchSharp;

namespace ReproDiff.Reproduction;

/// <summary>
/// Du et al. 2023, "DiffRec (Du et al.)" here SeqDiffRec: no table was published (du2023.md §5), so every cell is "no
/// reference"; the model stands beside DiffuRec, SASRec and GRU4Rec on one split, one protocol and one training rule.
/// Protocol of the first author's pipeline (CBiT, du2023.md §3.10): leave-one-out, full ranking with the history masked,
/// HR and NDCG at 1, 5, 10, 20, the best epoch by validation NDCG@10; DiffuRec's official protocol beside it (test only).
/// The datasets are an inference: the author's own repositories use Beauty, Toys and ML-1M, byte-identical to these.
/// </summary>
public static class Du2023
{
    public const string Paper = "du2023";
    public static readonly string[] Models = ["SeqDiffRec", "DiffuRec", "SASRec", "GRU4Rec"];
    public static readonly string[] Datasets = ["diffurec-amazon-beauty", "diffurec-toys", "diffurec-ml-1m"];

    /// <summary>The first author's protocol: history masked, HR/NDCG at 1, 5, 10, 20, mean over users (CBiT's metric_ks).</summary>
    public static EvaluationProtocol Protocol { get; } = EvaluationProtocol.Standard with { Name = "du2023", Metrics = ["HR", "NDCG"], Ks = [1, 5, 10, 20] };

    /// <summary>The quick profile: the first users of each dataset, a few epochs; it checks the pipeline, nothing more.</summary>
    public const int QuickUsers = 1000;

    /// <summary>
    /// Full: up to 250 epochs (CBiT's template), validation every 2 epochs (DiffuRec every 10: its epoch is 3× longer), stop
    /// after 5 evaluations without a better NDCG@10. A budget caps a seed's time; its cells then say "budgeted".
    /// </summary>
    public static TrainingOptions Training(string model, string profile, TimeSpan? budget = null) => (profile, model) switch
    {
        ("full", "DiffuRec") => new() { MaxEpochs = 250, EvalEvery = 10, Patience = 5, Metric = "NDCG@10", TimeBudget = budget },
        ("full", _) => new() { MaxEpochs = 250, EvalEvery = 2, Patience = 5, Metric = "NDCG@10", TimeBudget = budget },
        ("quick", _) => new() { MaxEpochs = 2, EvalEvery = 1, Patience = 2, Metric = "NDCG@10", TimeBudget = budget },
        _ => throw new ReproDiffException($"--profile {profile}: use quick or full."),
    };

    /// <summary>SeqDiffRec with the author's template for the dataset, validated with the one-step inference (K draws) to keep epochs cheap.</summary>
    public static SeqDiffRecOptions Options(string dataset) => SeqDiffRecOptions.Preset(dataset) with { Inference = SeqDiffRecInference.OneStep };

    /// <summary>
    /// The options of a SeqDiffRec model name: "SeqDiffRec" is <see cref="Options(string)"/>; an ablation appends option
    /// assignments, "SeqDiffRec/RoundOn=Prediction/TiedRounding=true" (<see cref="SeqDiffRecOptions.With"/>). Null for other models.
    /// </summary>
    public static SeqDiffRecOptions? Options(string model, string dataset)
    {
        if (model != "SeqDiffRec" && !model.StartsWith("SeqDiffRec/", StringComparison.Ordinal)) return null;
        try { return Options(dataset).With(model["SeqDiffRec".Length..]); }
        catch (ArgumentException e) { throw new ReproDiffException($"--model {model}: {e.Message}"); }
    }

    public static ReproductionResult Reproduce(IReadOnlyList<string> models, IReadOnlyList<string> datasets, string profile,
        IReadOnlyList<int> seeds, DataRoot root, string device, string command, IProgress<string>? progress = null,
        CancellationToken cancel = default, TimeSpan? budget = null, string? output = null, bool resume = false, IReadOnlyList<string>? imports = null) =>
        Experiment.Run(Study, models, datasets, profile, seeds, root, device, command, progress, cancel, budget, output, resume, imports: imports);

    public static readonly Study Study = new DuStudy();

    sealed class DuStudy : Study
    {
        public override string Paper => Du2023.Paper;
        public override IReadOnlyList<string> Models => Du2023.Models;
        public override IReadOnlyList<string> Datasets => Du2023.Datasets;
        public override void CheckModel(string model)
        {
            if (Options(model, Datasets[0]) is null) base.CheckModel(model);
        }
        public override IReadOnlyList<EvaluationProtocol> Protocols { get; } = [Protocol, Li2023.Official];
        public override IReadOnlyList<(string Metric, int K)> Cells(EvaluationProtocol protocol) =>
            [.. protocol.Metrics.SelectMany(m => protocol.Ks.Select(k => (m, k)))];
        public override IReadOnlyList<string> ProgressMetrics { get; } = ["HR@10", "NDCG@10"];
        public override object Load(DataRoot root, string dataset, string profile)
        {
            var data = SequenceDataset.Load(root, dataset);
            return profile == "quick" ? data.Head(QuickUsers) : data;
        }
        public override Trial Create(string model, string dataset, object data, torch.Device device)
        {
            var d = (SequenceDataset)data;
            if (Options(model, dataset) is { } options) return new SeqDiffRecTrial(model, new SeqDiffRec(d.Items, options, device), d);
            var m = Li2023.Create(model, d.Items, device);
            return Trial.Sequential(model, m, d, Protocol, m is DiffuRec diffuRec ? p => DiffuRecProbes(diffuRec, d, p) : null);
        }
        public override TrainingOptions Training(string model, string profile, TimeSpan? budget) => Du2023.Training(model, profile, budget);
        public override Reference? Find(string model, string dataset, EvaluationProtocol protocol, string metric, int k) => null;
        public override string NoReference(EvaluationProtocol protocol) => "none (the paper published no numbers)";
        /// <summary>
        /// The next-item comparison builds and trains du2023's models through this study (its Create and Training delegate
        /// here) and validates on <see cref="Protocol"/>: its runs are this study's, tested under du2023's protocol only
        /// (DiffuRec's official protocol is notebook 03's). Importing them saves re-training DiffuRec's budgeted seeds.
        /// </summary>
        public override bool Imports(string paper, string model) => paper == Comparison.NextItem.Paper && Du2023.Models.Contains(model);
    }

    /// <summary>
    /// DiffuRec's probes (when a study analyses tests): another draw of the released 32-step chain, and the chain respaced
    /// to 1, 4 and 8 reverse steps (<see cref="DiffuRec.Score(TorchSharp.torch.Tensor, Action{int, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor}?, TorchSharp.torch.Generator?, int?, Func{long[], TorchSharp.torch.Tensor}?)"/>).
    /// </summary>
    static IReadOnlyList<Probe> DiffuRecProbes(DiffuRec model, SequenceDataset data, EvaluationProtocol protocol)
    {
        Func<Action<long[], int[,]>?, MetricSet> Test(int? steps) =>
            onTop => Evaluator.Evaluate(h => model.Score(h, null, reverseSteps: steps), data, test: true, protocol, model.MaxLength, model.Device, onTop);
        return [new("redraw", Test(null)), .. new[] { 1, 4, 8 }.Select(k => new Probe($"steps={k}", Test(k)))];
    }

    /// <summary>SeqDiffRec (or an ablation, named by its options) fills two rows: Algorithm 2's reverse chain, and the efficient one-step inference with K draws.</summary>
    sealed class SeqDiffRecTrial(string name, SeqDiffRec model, SequenceDataset data) : Trial
    {
        public override long ParameterCount => model.ParameterCount;
        public override TrainingReport Fit(TrainingOptions training, IProgress<EpochReport>? progress, CancellationToken cancel, int seed) =>
            model.Fit(data, training, Protocol, progress, cancel, seed);
        public override IReadOnlyList<(string Model, Func<Action<long[], int[,]>?, MetricSet> Test)> Test(EvaluationProtocol protocol) =>
        [
            (name, onTop => Test(protocol, SeqDiffRecInference.ReverseChain, onTop)),
            ($"{name} (one step, K = {model.Options.Draws})", onTop => Test(protocol, SeqDiffRecInference.OneStep, onTop)),
        ];
        MetricSet Test(EvaluationProtocol protocol, SeqDiffRecInference inference, Action<long[], int[,]>? onTop, int? draws = null) =>
            Evaluator.Evaluate(h => model.Score(h, inference, draws: draws), data, test: true, protocol, model.MaxLength, model.Device, onTop);
        /// <summary>Both rows: another draw; the one-step row also with K = 1 and K = 16 draws averaged.</summary>
        public override IReadOnlyList<Probe> Probes(string row, EvaluationProtocol protocol) => row == name
            ? [new("redraw", onTop => Test(protocol, SeqDiffRecInference.ReverseChain, onTop))]
            : [new("redraw", onTop => Test(protocol, SeqDiffRecInference.OneStep, onTop)),
               .. new[] { 1, 16 }.Select(k => new Probe($"K={k}", onTop => Test(protocol, SeqDiffRecInference.OneStep, onTop, k)))];
        public override void Dispose() => model.Dispose();
    }
}
