using System.Diagnostics;
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Reporting;
using ReproDiff.Runtime;
using ReproDiff.Training;
using TorchSharp;

namespace ReproDiff.Reproduction;

/// <summary>One test of a trained model: the row it fills (a model, or a model's inference variant), the protocol, the metrics.</summary>
public sealed record TestResult(string Model, string Protocol, IReadOnlyDictionary<string, double> Metrics, double Seconds)
{
    /// <summary>Per-user values of some metrics (users with a test item, in user order), when the study asks for them (the comparison does, the papers do not).</summary>
    public IReadOnlyDictionary<string, double[]>? PerUser { get; init; }
    /// <summary>Beyond-accuracy measures of the test's top-K lists (coverage, Gini, popularity, novelty, diversity), when the study asks for them.</summary>
    public IReadOnlyDictionary<string, double>? Measures { get; init; }
}

/// <summary>What a study derives from one test's top-K lists: per-user metric vectors and beyond-accuracy measures.</summary>
public sealed record TestAnalysis(IReadOnlyDictionary<string, double[]> PerUser, IReadOnlyDictionary<string, double> Measures);

/// <summary>
/// A further test of a trained stochastic model under the same protocol, when a study analyses tests (the comparison):
/// another sampling draw of the same inference ("redraw"), fewer reverse steps ("steps=4"), another number of averaged
/// draws ("K=16"). Its metrics, latency and the top-10 agreement with the row's own test become measures of that row.
/// </summary>
public sealed record Probe(string Name, Func<Action<long[], int[,]>?, MetricSet> Test);

/// <summary>Where a paper prints a cell: its table and value (null when the paper has no such number).</summary>
public sealed record Reference(string Table, double? Value);

/// <summary>
/// A trained model as the experiment runner sees it, whatever its family: fit with a training rule, then test under a
/// protocol, giving one result per row it fills (most models fill one; Du et al.'s fills one per inference mode).
/// </summary>
public abstract class Trial : IDisposable
{
    public abstract long ParameterCount { get; }
    public abstract TrainingReport Fit(TrainingOptions training, IProgress<EpochReport>? progress, CancellationToken cancel, int seed);
    /// <summary>
    /// The rows this model fills under a protocol, each with its (lazy) test evaluation, so the runner times each; the
    /// evaluation passes every batch's top-K lists to its argument when that is not null (see <see cref="Evaluator.Evaluate(Func{long[], TorchSharp.torch.Tensor}, IReadOnlyList{int}, Func{int, IReadOnlySet{int}}, EvaluationProtocol, IReadOnlyList{SparseMatrix}?, Action{long[], int[,]}?)"/>).
    /// </summary>
    public abstract IReadOnlyList<(string Model, Func<Action<long[], int[,]>?, MetricSet> Test)> Test(EvaluationProtocol protocol);
    /// <summary>The probes of a row (see <see cref="Probe"/>); none for deterministic models.</summary>
    public virtual IReadOnlyList<Probe> Probes(string row, EvaluationProtocol protocol) => [];
    public abstract void Dispose();

    /// <summary>A user × item model on an interaction dataset; <paramref name="selection"/> is the validation protocol.</summary>
    public static Trial UserItem(string name, IUserItemRecommender model, InteractionDataset data, EvaluationProtocol selection) =>
        new Adapter(name, () => model.ParameterCount, model,
            (o, p, c, s) => model.Fit(data, o, selection, p, c, s), (protocol, onTop) => Evaluator.Evaluate(model.Score, data, test: true, protocol, onTop));

    /// <summary>A next-item model on a sequence dataset; <paramref name="selection"/> is the validation protocol; <paramref name="probes"/> its probes under a protocol.</summary>
    public static Trial Sequential(string name, ISequentialRecommender model, SequenceDataset data, EvaluationProtocol selection,
        Func<EvaluationProtocol, IReadOnlyList<Probe>>? probes = null) =>
        new Adapter(name, () => model.ParameterCount, model,
            (o, p, c, s) => model.Fit(data, o, selection, p, c, s),
            (protocol, onTop) => Evaluator.Evaluate(model.Score, data, test: true, protocol, model.MaxLength, model.Device, onTop), probes);

    /// <summary><paramref name="parameters"/> is read after training: EASE's weights exist only then.</summary>
    sealed class Adapter(string name, Func<long> parameters, IDisposable model,
        Func<TrainingOptions, IProgress<EpochReport>?, CancellationToken, int, TrainingReport> fit, Func<EvaluationProtocol, Action<long[], int[,]>?, MetricSet> test,
        Func<EvaluationProtocol, IReadOnlyList<Probe>>? probes = null) : Trial
    {
        public override IReadOnlyList<Probe> Probes(string row, EvaluationProtocol protocol) => probes?.Invoke(protocol) ?? [];
        public override long ParameterCount => parameters();
        public override TrainingReport Fit(TrainingOptions training, IProgress<EpochReport>? progress, CancellationToken cancel, int seed) => fit(training, progress, cancel, seed);
        public override IReadOnlyList<(string Model, Func<Action<long[], int[,]>?, MetricSet> Test)> Test(EvaluationProtocol protocol) => [(name, onTop => test(protocol, onTop))];
        public override void Dispose() => model.Dispose();
    }
}

/// <summary>
/// What a paper's reproduction (or the comparison) declares to the <see cref="Experiment"/> runner: its models and
/// datasets, how data is loaded per profile, how each model is built and trained, the protocols every trained model is
/// tested under (the first also selects the best epoch), the cells, and where the paper prints each number.
/// </summary>
public abstract class Study
{
    public abstract string Paper { get; }
    public abstract IReadOnlyList<string> Models { get; }
    public abstract IReadOnlyList<string> Datasets { get; }
    /// <summary>The protocols of the test; the first is the validation protocol that selects the best epoch.</summary>
    public abstract IReadOnlyList<EvaluationProtocol> Protocols { get; }
    /// <summary>The cells' metrics and cut-offs under a protocol (a subset of what it computes).</summary>
    public abstract IReadOnlyList<(string Metric, int K)> Cells(EvaluationProtocol protocol);
    /// <summary>The validation metrics the progress lines show.</summary>
    public abstract IReadOnlyList<string> ProgressMetrics { get; }
    public abstract object Load(DataRoot root, string dataset, string profile);
    public abstract Trial Create(string model, string dataset, object data, torch.Device device);
    public abstract TrainingOptions Training(string model, string profile, TimeSpan? budget);
    /// <summary>Where the paper prints this cell; null when nowhere (the cell then says why in <see cref="NoReference"/>).</summary>
    public abstract Reference? Find(string model, string dataset, EvaluationProtocol protocol, string metric, int k);
    /// <summary>The table column of a cell with no reported value (e.g. "none (not in the paper)").</summary>
    public virtual string NoReference(EvaluationProtocol protocol) => "none (not in the paper)";

    /// <summary>
    /// When the study wants more than the metrics' means from a test under <paramref name="protocol"/> (the comparison
    /// does), a function from the test's top-K lists to per-user metrics and beyond-accuracy measures; null otherwise.
    /// </summary>
    public virtual Func<Evaluator.TopLists, TestAnalysis>? Analysis(object data, EvaluationProtocol protocol) => null;

    /// <summary>
    /// Why the study leaves this model out on this dataset by default (null: it runs it). A skipped model is not among a
    /// command's default models and a complete study does not need it; naming it explicitly still runs it.
    /// </summary>
    public virtual string? Skipped(string model, string dataset) => null;

    /// <summary>
    /// Whether a finished run of <paramref name="model"/> by another study <paramref name="paper"/> is this study's own run of it: built,
    /// trained and validated by the same code (a study that delegates to this one), so that the same dataset, seed, profile,
    /// budget and precision give the same run and <c>--import</c> may take it instead of training again. Its tests under
    /// protocols that study does not run are absent, so those cells average fewer seeds or none. A study's own files need no
    /// such declaration: their runs are always its own.
    /// </summary>
    public virtual bool Imports(string paper, string model) => false;

    /// <summary>Throws a <see cref="ReproDiffException"/> naming the option unless the study can build this model (a study may accept variants).</summary>
    public virtual void CheckModel(string model)
    {
        if (!Models.Contains(model)) throw new ReproDiffException($"--model {model}: {Paper} supports {string.Join(", ", Models)}.");
    }
}

/// <summary>
/// The one experiment loop (issue 14): datasets × models × seeds → fit → test under every protocol → cells with verdicts.
/// A run is resumable: after every seed the result so far is written to <c>&lt;out&gt;.partial</c> (JSON, named so that no <c>*.json</c> glob of finished results picks it up); a later run with
/// <c>resume</c> reuses every finished seed whose dataset, model, seed, profile and budget match (a full-profile file of another
/// profile or budget is refused, never dropped), and each unfinished seed
/// continues from its last epoch checkpoint (<c>&lt;out&gt;.checkpoints/</c>); the finished seeds of the earlier run that this one does
/// not ask for (another model or seed) are kept, so a study grows by one command per model or seed. The final file replaces the output atomically,
/// unless the caller's <c>complete</c> condition says the study still lacks runs (the comparison's missing models and seeds): then the result
/// stays under the <c>.partial</c> name, resumable, and no final file is written. A seed that a file of this study or of another
/// study trained by the same code (<see cref="Study.Imports"/>) already holds is taken from it instead of trained (<c>imports</c>,
/// marked with the file).
/// </summary>
public static class Experiment
{
    public static ReproductionResult Run(Study study, IReadOnlyList<string> models, IReadOnlyList<string> datasets, string profile,
        IReadOnlyList<int> seeds, DataRoot root, string device, string command, IProgress<string>? progress = null,
        CancellationToken cancel = default, TimeSpan? budget = null, string? output = null, bool resume = false, Precision precision = Precision.Fp32,
        Func<ReproductionResult, bool>? complete = null, IReadOnlyList<string>? imports = null)
    {
        foreach (var m in models) study.CheckModel(m);
        foreach (var d in datasets) if (!study.Datasets.Contains(d)) throw new ReproDiffException($"--dataset {d}: {study.Paper} runs {string.Join(", ", study.Datasets)}.");
        if (seeds.Count == 0) throw new ReproDiffException("--seeds: give at least one seed.");
        if (seeds.Distinct().Count() != seeds.Count) throw new ReproDiffException($"--seeds {string.Join(",", seeds)}: a seed is repeated.");
        _ = study.Training(models.Count > 0 ? models[0] : "", profile, budget); // validates the profile before any work
        var dev = TorchRuntime.ResolveDevice(device);
        MixedPrecision.Check(precision, dev);
        var environment = EnvironmentReport.Capture(); // at the start: the commit and settings that actually ran
        var partial = output is null ? null : output + ".partial";
        var done = resume && output is not null ? Finished(partial!, output, profile, budget, precision) : [];
        var offered = Imported(study, imports ?? [], models, profile, budget, precision);
        var runs = new List<SeedRun>();
        // Resuming extends the earlier study: its finished seeds of models or seeds this command does not name are kept.
        var kept = done.Values.Where(r => datasets.Contains(r.Dataset) && !(models.Contains(r.Model) && seeds.Contains(r.Seed))).ToList();
        var modelOrder = done.Values.Select(r => r.Model).Concat(models).Distinct().ToList();
        var datasetOrder = datasets.ToList();
        List<SeedRun> All() => runs.Concat(kept).OrderBy(r => datasetOrder.IndexOf(r.Dataset)).ThenBy(r => modelOrder.IndexOf(r.Model)).ThenBy(r => r.Seed).ToList();
        ReproductionResult Result() { var all = All(); return new(environment, command, profile, Cells(study, all, profile), all); }

        foreach (var dataset in datasets)
        {
            object? data = null;
            Dictionary<EvaluationProtocol, Func<Evaluator.TopLists, TestAnalysis>?>? analyses = null; // built once per dataset
            foreach (var model in models)
                foreach (var seed in seeds)
                {
                    cancel.ThrowIfCancellationRequested();
                    if (done.TryGetValue((dataset, model, seed), out var previous))
                    {
                        runs.Add(previous);
                        progress?.Report($"{model} {dataset} seed {seed}: reused from the earlier run ({previous.Commit ?? "commit unknown"})");
                        continue;
                    }
                    if (offered.TryGetValue((dataset, model, seed), out var copy))
                    {
                        runs.Add(copy);
                        progress?.Report($"{model} {dataset} seed {seed}: imported from {copy.ImportedFrom} ({copy.Commit ?? "commit unknown"})");
                        continue; // instant and repeatable: the next trained seed's save (or the final one) writes it
                    }
                    data ??= study.Load(root, dataset, profile);
                    analyses ??= study.Protocols.ToDictionary(p => p, p => study.Analysis(data, p));
                    runs.Add(RunSeed(study, model, dataset, data, analyses, seed, profile, budget, precision, dev, output, progress, cancel) with { Commit = environment.GitCommit });
                    if (partial is not null) ReproductionJson.Save(Result(), partial);
                }
        }
        var result = Result();
        if (output is not null)
        {
            if (complete?.Invoke(result) ?? true)
            {
                ReproductionJson.Save(result, output);
                File.Delete(partial!);
            }
            else ReproductionJson.Save(result, partial!);
            var checkpoints = output + ".checkpoints";
            if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        }
        return result;
    }

    static SeedRun RunSeed(Study study, string model, string dataset, object data, IReadOnlyDictionary<EvaluationProtocol, Func<Evaluator.TopLists, TestAnalysis>?> analyses, int seed, string profile, TimeSpan? budget,
        Precision precision, torch.Device device, string? output, IProgress<string>? progress, CancellationToken cancel)
    {
        TorchRuntime.Seed(seed);
        var training = study.Training(model, profile, budget) with { Precision = precision };
        if (output is not null)
        {
            var folder = output + ".checkpoints";
            Directory.CreateDirectory(folder);
            training = training with { CheckpointPath = Path.Combine(folder, $"{dataset}-{model}-{seed}") };
        }
        using var trial = study.Create(model, dataset, data, device);
        PeakMemory.Reset();
        var watch = Stopwatch.StartNew();
        var keys = training.Metric is { } m && m != TrainingOptions.AnyMetric ? [m] : study.ProgressMetrics;
        var report = trial.Fit(training, new SyncProgress<EpochReport>(e => progress?.Report(
            $"{model} {dataset} seed {seed}: epoch {e.Epoch} loss {e.TrainLoss:F4} ({e.EpochTime.TotalSeconds:F1} s)" +
            (e.Valid is { } v ? " valid " + string.Join(" ", keys.Select(k => $"{k} {v[k]:F4}")) + (e.IsBest ? " (best)" : "") : ""))), cancel, seed);
        var train = (watch.Elapsed + report.Resumed.Elapsed).TotalSeconds;   // a resumed fit: the epochs before the resume too
        var results = new List<TestResult>();
        foreach (var protocol in study.Protocols)
        {
            var analysis = analyses[protocol];
            foreach (var (row, test) in trial.Test(protocol))
            {
                var lists = analysis is null ? null : new Evaluator.TopLists();
                watch.Restart();
                var metrics = test(lists is null ? null : lists.Add);
                var seconds = Math.Round(watch.Elapsed.TotalSeconds, 2);
                var derived = lists is null ? null : analysis!(lists);
                var measures = derived?.Measures;
                if (lists is not null && trial.Probes(row, protocol) is { Count: > 0 } probes)
                    measures = Probed(derived!.Measures, lists, probes, study.ProgressMetrics, watch, progress, $"{row} {dataset} seed {seed}");
                results.Add(new TestResult(row, protocol.Name, metrics.Values, seconds) { PerUser = derived?.PerUser, Measures = measures });
            }
        }
        var first = results[0];
        progress?.Report($"{model} {dataset} seed {seed}: best epoch {report.BestEpoch} ({report.StopReason}), test {first.Protocol} " +
            string.Join(" ", study.ProgressMetrics.Select(k => $"{k} {first.Metrics[k]:F4}")));
        return new SeedRun(model, dataset, seed, report.EpochCount, report.BestEpoch, report.StopReason, Math.Round(train, 1),
            Math.Round(report.SecondsPerEpochMedian, 3), first.Seconds, first.Metrics)
        {
            Parameters = trial.ParameterCount, Results = results, Budget = budget?.TotalMinutes,
            SecondsToBest = report.BestElapsed is { } b ? Math.Round(b.TotalSeconds, 1) : null, PeakMemoryMb = PeakMemory.ReadMb(),
            Precision = precision == Precision.Fp32 ? null : precision.Name(),
        };
    }

    /// <summary>
    /// The measures of a row with its probes run: per probe "name: metric" for the study's progress metrics, "name: ms/1,000
    /// users" and "name: Jaccard@10", the mean over users of the top-10 overlap with the row's own test (1 = the same lists).
    /// </summary>
    static Dictionary<string, double> Probed(IReadOnlyDictionary<string, double> measures, Evaluator.TopLists lists, IReadOnlyList<Probe> probes,
        IReadOnlyList<string> metrics, Stopwatch watch, IProgress<string>? progress, string label)
    {
        var all = new Dictionary<string, double>(measures);
        foreach (var probe in probes)
        {
            var again = new Evaluator.TopLists();
            watch.Restart();
            var values = probe.Test(again.Add);
            var seconds = watch.Elapsed.TotalSeconds;
            foreach (var m in metrics) all[$"{probe.Name}: {m}"] = Math.Round(values[m], 5);
            all[$"{probe.Name}: ms/1,000 users"] = Math.Round(seconds * 1e6 / Math.Max(1, again.ByUser.Count), 1);
            all[$"{probe.Name}: Jaccard@10"] = Math.Round(lists.ByUser.Average(kv => BeyondAccuracy.Jaccard(kv.Value[..Math.Min(10, kv.Value.Length)],
                again.ByUser[kv.Key][..Math.Min(10, again.ByUser[kv.Key].Length)])), 5);
            progress?.Report($"{label}: probe {probe.Name} " + string.Join(" ", metrics.Select(m => $"{m} {values[m]:F4}")) + $", Jaccard@10 with the test {all[$"{probe.Name}: Jaccard@10"]:F3}");
        }
        return all;
    }

    static string Budget(double? minutes) => minutes is { } m ? FormattableString.Invariant($"a budget of {m} min") : "no budget";

    /// <summary>
    /// The finished seeds of an earlier run (the partial file first, then the output). A full-profile file's profile, budget
    /// and precision must be this run's: otherwise resuming would drop its runs, and the command refuses before any work.
    /// </summary>
    static Dictionary<(string, string, int), SeedRun> Finished(string partial, string output, string profile, TimeSpan? budget, Precision precision)
    {
        var found = new Dictionary<(string, string, int), SeedRun>();
        foreach (var path in new[] { partial, output })
        {
            if (!File.Exists(path)) continue;
            var earlier = ReproductionJson.Load(path);
            // Every finished run of a full-profile file is reused or kept, or the command refuses: the final file replaces the old
            // one, so a run skipped here would be lost (a resume that forgot --budget-minutes once overwrote a comparison's runs).
            // Quick-profile runs are smoke tests: another profile or budget replaces them.
            if (earlier.Profile != profile)
            {
                if (earlier.Profile == "full" && earlier.Runs.Count > 0)
                    throw new ReproDiffException($"{path}: holds full-profile runs; resuming it with --profile {profile} would drop them. Use --profile full or write to another file.");
                continue;
            }
            if (earlier.Runs.FirstOrDefault(r => (r.Precision ?? "fp32") != precision.Name()) is { } other)
                throw new ReproDiffException($"{path}: holds {other.Precision ?? "fp32"} runs; resuming it with --precision {precision.Name()} would mix precisions in one study. Write to another file.");
            if (profile == "full" && earlier.Runs.FirstOrDefault(r => r.Results is not null && r.Budget != budget?.TotalMinutes) is { } unlike)
                throw new ReproDiffException($"{path}: holds runs with {Budget(unlike.Budget)} ({unlike.Model} seed {unlike.Seed}); resuming it with {Budget(budget?.TotalMinutes)} " +
                    $"would drop them. Give {(unlike.Budget is { } b ? $"--budget-minutes {b.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "no --budget-minutes")} or write to another file.");
            foreach (var r in earlier.Runs.Where(r => r.Results is not null && r.Budget == budget?.TotalMinutes))
                found.TryAdd((r.Dataset, r.Model, r.Seed), r);
        }
        return found;
    }

    /// <summary>
    /// The runs that other files (<c>--import</c>) offer for this study: every run of this study's own earlier files (a
    /// committed study that a notebook re-runs), and of other studies' files the models this study imports from theirs
    /// (<see cref="Study.Imports"/>); only runs with this run's profile, budget and precision, each marked with the file that
    /// trained it. The per-user values and measures of another study's runs stay in their own file (this study's runs have none);
    /// those of this study's own runs come along (the comparison's paired tests need them). A file this study takes nothing
    /// from is refused.
    /// </summary>
    static Dictionary<(string, string, int), SeedRun> Imported(Study study, IReadOnlyList<string> files, IReadOnlyList<string> models, string profile,
        TimeSpan? budget, Precision precision)
    {
        var found = new Dictionary<(string, string, int), SeedRun>();
        var root = RepositoryLocator.FindRoot();
        foreach (var file in files)
        {
            var path = Path.GetFullPath(file);
            if (!File.Exists(path)) throw new ReproDiffException($"--import {file}: file not found.");
            var other = ReproductionJson.Load(path);
            var paper = other.Cells.FirstOrDefault()?.Paper;
            var own = paper == study.Paper;                                                  // a study's own files are its own runs
            bool Takes(string model) => own || study.Imports(paper!, model);
            if (paper is null || !models.Any(Takes))
                throw new ReproDiffException($"--import {file}: {study.Paper} takes no runs of {string.Join(", ", models)} from {paper ?? "a file without cells"} " +
                    "(another study builds or trains them differently).");
            if (other.Profile != profile)
                throw new ReproDiffException($"--import {file}: holds {other.Profile}-profile runs; this run is --profile {profile}.");
            var name = root is not null && path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? Path.GetRelativePath(root, path) : path;
            foreach (var r in other.Runs.Where(r => r.Results is not null && models.Contains(r.Model) && Takes(r.Model)
                                                 && r.Budget == budget?.TotalMinutes && (r.Precision ?? "fp32") == precision.Name()))
                found.TryAdd((r.Dataset, r.Model, r.Seed), r with
                {
                    Results = own ? r.Results : [.. r.Results!.Select(t => t with { PerUser = null, Measures = null })],
                    ImportedFrom = r.ImportedFrom ?? name.Replace(Path.DirectorySeparatorChar, '/'),   // an imported run keeps the file that trained it
                });
        }
        return found;
    }

    /// <summary>
    /// The cells of the runs so far: per dataset, row (model or inference variant), protocol, metric and K, the mean and
    /// standard deviation over the seeds tested under that protocol (an imported run has only its own study's protocols), the
    /// paper's value and the verdict. A row with a seed stopped by the time budget is labelled "not converged" beside its numeric verdict.
    /// </summary>
    public static List<ReproducedCell> Cells(Study study, IReadOnlyList<SeedRun> runs, string profile)
    {
        var cells = new List<ReproducedCell>();
        foreach (var byDataset in runs.GroupBy(r => r.Dataset))
            foreach (var byModel in byDataset.GroupBy(r => r.Model))
            {
                var seedRuns = byModel.ToList();
                var budgeted = seedRuns.Any(r => r.StopReason.StartsWith("time budget", StringComparison.Ordinal));
                var rows = seedRuns[0].Results!.Select(t => t.Model).Distinct().ToList();
                foreach (var row in rows)
                    foreach (var protocol in study.Protocols)
                    {
                        var tested = seedRuns.Where(r => r.Results!.Any(t => t.Model == row && t.Protocol == protocol.Name)).ToList();
                        if (tested.Count == 0) continue;
                        var seeds = tested.Select(r => r.Seed).ToList();
                        foreach (var (metric, k) in study.Cells(protocol))
                        {
                            var values = tested.Select(r => r.Results!.Single(t => t.Model == row && t.Protocol == protocol.Name).Metrics[$"{metric}@{k}"]).ToList();
                            var (mean, std) = ResultRow.MeanStd(values);
                            var reference = study.Find(row, byDataset.Key, protocol, metric, k);
                            var result = new ResultRow(study.Paper, reference?.Table ?? "", byDataset.Key, row, metric, k, reference?.Value, mean, std, seeds, protocol.Name);
                            var verdict = budgeted && reference?.Value is not null && profile != "quick"
                                ? $"{result.Verdict} (not converged: stopped by the time budget)" : result.VerdictFor(profile);
                            cells.Add(new ReproducedCell(study.Paper, reference?.Value is null ? study.NoReference(protocol) : reference.Table, byDataset.Key, row, metric, k,
                                reference?.Value, Math.Round(mean, 4), Math.Round(std, 4), seeds, protocol.ToString(), verdict, values));
                        }
                    }
            }
        return cells;
    }
}
