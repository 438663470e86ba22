using System.Diagnostics;
using System.Text.Json;
using ReproDiff.Evaluation;
using ReproDiff.Reporting;
using ReproDiff.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Training;

/// <summary>How long to train and when to stop.</summary>
public sealed record TrainingOptions
{
    public int MaxEpochs { get; init; } = 100;
    /// <summary>Evaluate on validation every this many epochs (DiffRec 5, DiffuRec 20).</summary>
    public int EvalEvery { get; init; } = 1;
    /// <summary>Stop after this many evaluations without improvement (DiffRec 20, DiffuRec 5).</summary>
    public int Patience { get; init; } = 10;
    /// <summary>
    /// The validation metric that selects the best epoch, e.g. <c>Recall@20</c>; <see cref="AnyMetric"/> counts an evaluation as
    /// better when any metric beats its own best so far (DiffuRec's trainer); null trains all epochs and keeps the last.
    /// </summary>
    public string? Metric { get; init; }

    /// <summary>The <see cref="Metric"/> value meaning "any metric improved" (DiffuRec src/trainer.py <c>flag_update</c>).</summary>
    public const string AnyMetric = "any";
    /// <summary>Stop after the epoch that crosses this wall-clock budget; that epoch is validated (when a metric selects) so the kept model is the best validated one.</summary>
    public TimeSpan? TimeBudget { get; init; }
    /// <summary>Write weights and optimizer state here after every evaluation and at least every <see cref="Trainer.CheckpointInterval"/>; resume from it when present.</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>
    /// fp32, or bf16 mixed precision for the training steps (<see cref="MixedPrecision"/>: the loss's forward pass under
    /// autocast, fp32 weights, gradients and optimiser). Validation and tests score in fp32 either way: bf16 keeps 8 bits of
    /// mantissa, too few to order thousands of items' scores without ties.
    /// </summary>
    public Precision Precision { get; init; }

    public void Validate()
    {
        if (MaxEpochs < 1) throw new ArgumentException($"MaxEpochs = {MaxEpochs} must be at least 1.");
        if (EvalEvery < 1) throw new ArgumentException($"EvalEvery = {EvalEvery} must be at least 1.");
        if (Patience < 1) throw new ArgumentException($"Patience = {Patience} must be at least 1.");
    }
}

/// <summary>One epoch as the progress observer sees it. <see cref="LiveTensors"/> is libtorch's live tensor count (a leak shows as growth).</summary>
public sealed record EpochReport(int Epoch, double TrainLoss, int Batches, TimeSpan EpochTime, TimeSpan Elapsed, MetricSet? Valid, bool IsBest, long LiveTensors);

/// <summary>
/// What a fit did: every epoch, the best one, and why it stopped. <see cref="Epochs"/> are the epochs this process ran;
/// a fit resumed from a checkpoint also carries what the checkpoint recorded of the epochs before it (<see cref="Resumed"/>),
/// so that the counts and times below cover the whole fit.
/// </summary>
public sealed record TrainingReport(IReadOnlyList<EpochReport> Epochs, int BestEpoch, double? BestValue, string StopReason, TimeSpan Elapsed)
{
    /// <summary>The epochs before a resume, as the checkpoint recorded them (none for a fit that started from scratch).</summary>
    public ResumedEpochs Resumed { get; init; } = ResumedEpochs.None;

    /// <summary>Epochs trained in all, those before a resume included.</summary>
    public int EpochCount => Epochs.Count > 0 ? Epochs[^1].Epoch : Resumed.Epochs;

    /// <summary>Training time (validation included) from the start of the fit to the end of its best epoch; null when unknown.</summary>
    public TimeSpan? BestElapsed => Epochs.FirstOrDefault(e => e.Epoch == BestEpoch)?.Elapsed ?? Resumed.BestElapsed;

    /// <summary>Median seconds per epoch (training only), over every epoch whose time is known.</summary>
    public double SecondsPerEpochMedian
    {
        get
        {
            var s = Resumed.EpochSeconds.Concat(Epochs.Select(e => e.EpochTime.TotalSeconds)).Order().ToArray();
            return s.Length == 0 ? 0 : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }
    }
}

/// <summary>
/// What a checkpoint says about the epochs before a resume: how many, their times (empty for checkpoints written before
/// the times were kept), the training time they took (<see cref="Elapsed"/>) and when the best of them ended.
/// </summary>
public sealed record ResumedEpochs(int Epochs, IReadOnlyList<double> EpochSeconds, TimeSpan Elapsed, TimeSpan? BestElapsed)
{
    public static readonly ResumedEpochs None = new(0, [], TimeSpan.Zero, null);
}

/// <summary>
/// The training loop every model shares (design.md §2): each step inside its own dispose scope (the batch is built
/// inside it too), early stopping on a validation metric with patience and an evaluation interval, the best weights
/// kept as a detached copy and restored at the end, a time budget, checkpoints that resume, and progress through
/// <see cref="IProgress{T}"/>, never the console.
/// </summary>
public static class Trainer
{
    /// <summary>The longest training time between two checkpoints when no evaluation falls in between (long epochs, rare evaluations).</summary>
    public static readonly TimeSpan CheckpointInterval = TimeSpan.FromMinutes(5);

    public static TrainingReport Fit<TBatch>(
        nn.Module module,
        IReadOnlyList<optim.Optimizer> optimizers,
        Func<int, IEnumerable<TBatch>> epochBatches,
        Func<TBatch, Tensor> loss,
        Func<MetricSet>? validate,
        TrainingOptions options,
        IProgress<EpochReport>? progress = null,
        CancellationToken cancel = default,
        IReadOnlyList<optim.lr_scheduler.LRScheduler>? schedulers = null)
    {
        options.Validate();
        var device = module.parameters().FirstOrDefault()?.device ?? CPU;
        MixedPrecision.Check(options.Precision, device);
        if (options.Metric is not null && validate is null) throw new ArgumentException("a validation metric needs a validate function.");
        var reports = new List<EpochReport>();
        Dictionary<string, Tensor>? best = null;
        int bestEpoch = 0, firstEpoch = 1, badEvaluations = 0;
        double? bestValue = null;
        var bestPerMetric = new Dictionary<string, double>();
        var watch = Stopwatch.StartNew();
        var resumed = ResumedEpochs.None;
        TimeSpan? bestElapsed = null; // when the best epoch ended, kept in the checkpoint
        if (options.CheckpointPath is { } cp && File.Exists(cp + ".json"))
        {
            var meta = Checkpoint.Load(cp, module, optimizers);
            (firstEpoch, bestEpoch, bestValue, badEvaluations) = (meta.Epoch + 1, meta.BestEpoch, meta.BestValue, meta.BadEvaluations);
            resumed = new(meta.Epoch, meta.EpochSeconds ?? [], TimeSpan.FromSeconds(meta.Seconds), meta.BestSeconds is { } b ? TimeSpan.FromSeconds(b) : null);
            bestElapsed = resumed.BestElapsed;
            foreach (var (k, v) in meta.BestPerMetric ?? []) bestPerMetric[k] = v;
            foreach (var s in schedulers ?? []) for (int i = 1; i < firstEpoch; i++) s.step(); // StepLR's state is its epoch count
            if (File.Exists(cp + ".best")) best = LoadBest(module, cp + ".best");
        }
        string reason = "max epochs";
        var sinceCheckpoint = Stopwatch.StartNew();
        try
        {
            for (int epoch = firstEpoch; epoch <= options.MaxEpochs; epoch++)
            {
                cancel.ThrowIfCancellationRequested();
                module.train();
                var epochWatch = Stopwatch.StartNew();
                double total = 0;
                int batches = 0;
                using (var e = epochBatches(epoch).GetEnumerator())
                {
                    while (true)
                    {
                        using var scope = NewDisposeScope();
                        if (!e.MoveNext()) break;
                        foreach (var o in optimizers) o.zero_grad();
                        Tensor l;
                        using (MixedPrecision.Region(options.Precision, device)) l = loss(e.Current); // backward runs outside, as in PyTorch's AMP
                        l.backward();
                        foreach (var o in optimizers) o.step();
                        total += (l.dtype == ScalarType.Float32 ? l : l.to_type(ScalarType.Float32)).item<float>();
                        batches++;
                    }
                }
                epochWatch.Stop();
                foreach (var s in schedulers ?? []) s.step();
                var overBudget = options.TimeBudget is { } budget && watch.Elapsed + resumed.Elapsed >= budget;
                MetricSet? valid = null;
                bool isBest = false;
                if (validate is not null && (epoch % options.EvalEvery == 0 || ((epoch == options.MaxEpochs || overBudget) && options.Metric is not null)))
                {
                    module.eval();
                    valid = validate();
                    if (options.Metric is { } metric)
                    {
                        bool improved;
                        double v;
                        if (metric == TrainingOptions.AnyMetric)
                        {
                            improved = false;
                            foreach (var (k, value) in valid.Values)
                                if (!bestPerMetric.TryGetValue(k, out var b) || value > b) { bestPerMetric[k] = value; improved = true; }
                            v = valid.Values.Values.FirstOrDefault();
                        }
                        else { v = valid[metric]; improved = bestValue is null || v > bestValue; }
                        if (improved)
                        {
                            (bestValue, bestEpoch, badEvaluations, isBest) = (v, epoch, 0, true);
                            DisposeAll(best);
                            best = Snapshot(module);
                        }
                        else badEvaluations++;
                    }
                }
                var report = new EpochReport(epoch, batches == 0 ? double.NaN : total / batches, batches, epochWatch.Elapsed,
                    watch.Elapsed + resumed.Elapsed, valid, isBest, LiveTensors());
                reports.Add(report);
                if (isBest) bestElapsed = report.Elapsed;
                progress?.Report(report);
                if (options.CheckpointPath is { } path && (valid is not null || sinceCheckpoint.Elapsed >= CheckpointInterval))
                {
                    sinceCheckpoint.Restart();
                    Checkpoint.Save(path, module, optimizers, new CheckpointMeta(epoch, bestEpoch, bestValue, badEvaluations, report.Elapsed.TotalSeconds, bestPerMetric,
                        [.. resumed.EpochSeconds, .. reports.Select(r => r.EpochTime.TotalSeconds)], bestElapsed?.TotalSeconds));
                    if (isBest) module.save(path + ".best");
                }
                if (options.Metric is not null && badEvaluations >= options.Patience) { reason = $"no improvement of {options.Metric} in {options.Patience} evaluations"; break; }
                if (overBudget) { reason = $"time budget of {options.TimeBudget!.Value.TotalSeconds:F0} s"; break; }
            }
            if (best is not null) Restore(module, best);
        }
        finally { DisposeAll(best); }
        return new TrainingReport(reports, bestEpoch, bestValue, reason, watch.Elapsed + resumed.Elapsed) { Resumed = resumed };
    }

    /// <summary>
    /// Tensors still alive after a full collection: unreachable ones (finalised by the GC) no longer count, so what
    /// remains is what the code still holds. Growth across epochs is a leak.
    /// </summary>
    static long LiveTensors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return Tensor.TotalCount;
    }

    static Dictionary<string, Tensor> Snapshot(nn.Module module)
    {
        using var _ = no_grad();
        return module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    static void Restore(nn.Module module, Dictionary<string, Tensor> state)
    {
        using var _ = no_grad();
        foreach (var (name, t) in module.state_dict()) t.copy_(state[name]);
    }

    static Dictionary<string, Tensor> LoadBest(nn.Module module, string path)
    {
        var current = Snapshot(module);
        module.load(path);
        var best = Snapshot(module);
        Restore(module, current);
        DisposeAll(current);
        return best;
    }

    static void DisposeAll(Dictionary<string, Tensor>? state)
    {
        if (state is null) return;
        foreach (var t in state.Values) t.Dispose();
        state.Clear();
    }
}

/// <summary>The loop's counters in a checkpoint; <see cref="EpochSeconds"/> and <see cref="BestSeconds"/> are null in checkpoints written before they were kept.</summary>
internal sealed record CheckpointMeta(int Epoch, int BestEpoch, double? BestValue, int BadEvaluations, double Seconds,
    Dictionary<string, double>? BestPerMetric = null, double[]? EpochSeconds = null, double? BestSeconds = null);

/// <summary>Weights (TorchSharp format), optimizer states and a JSON of the loop's counters; each written through a temp file.</summary>
internal static class Checkpoint
{
    public static void Save(string path, nn.Module module, IReadOnlyList<optim.Optimizer> optimizers, CheckpointMeta meta)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Atomic(path + ".weights", tmp => module.save(tmp));
        for (int i = 0; i < optimizers.Count; i++) Atomic($"{path}.optim{i}", tmp => Helper(optimizers[i]).save_state_dict(tmp));
        AtomicFile.WriteAllText(path + ".json", JsonSerializer.Serialize(meta));
    }

    public static CheckpointMeta Load(string path, nn.Module module, IReadOnlyList<optim.Optimizer> optimizers)
    {
        var meta = JsonSerializer.Deserialize<CheckpointMeta>(File.ReadAllText(path + ".json"))
                   ?? throw new ReproDiffException($"{path}.json: not a checkpoint.");
        module.load(path + ".weights");
        for (int i = 0; i < optimizers.Count; i++) Helper(optimizers[i]).load_state_dict($"{path}.optim{i}");
        return meta;
    }

    static TorchSharp.Modules.OptimizerHelper Helper(optim.Optimizer o) =>
        o as TorchSharp.Modules.OptimizerHelper ?? throw new NotSupportedException($"{o.GetType().Name} cannot save its state.");

    static void Atomic(string path, Action<string> write)
    {
        var tmp = path + ".tmp";
        write(tmp);
        File.Move(tmp, path, overwrite: true);
    }
}
