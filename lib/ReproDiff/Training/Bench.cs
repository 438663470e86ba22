using System.Diagnostics;
using System.Text.Json.Serialization;
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Runtime;

namespace ReproDiff.Training;

/// <summary>One line of <c>reprodiff bench</c>: how fast a model trains and evaluates here.</summary>
public sealed record BenchResult(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("dataset")] string Dataset,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("epochs")] int Epochs,
    [property: JsonPropertyName("sec_per_epoch_median")] double SecPerEpochMedian,
    [property: JsonPropertyName("eval_sec")] double EvalSec,
    [property: JsonPropertyName("peak_rss_mb")] double PeakRssMb,
    [property: JsonPropertyName("examples_per_sec")] double ExamplesPerSec)
{
    /// <summary>Users actually evaluated; <see cref="EvalSec"/> is scaled from them to all users when fewer.</summary>
    [JsonPropertyName("eval_users_timed")] public int? EvalUsers { get; init; }
    /// <summary>The allocator setting of the process (<see cref="TorchRuntime.RetainFreedMemory"/>); it moves both speed and peak memory.</summary>
    [JsonPropertyName("allocator")] public string Allocator { get; init; } = TorchRuntime.Allocator;
}

/// <summary>Times N training epochs (no evaluation inside) and one full validation evaluation with the official protocol.</summary>
public static class Bench
{
    public static string[] Models => [.. Reproduction.Wang2023.Models, .. Reproduction.Li2023.Models, "SeqDiffRec"];

    public static BenchResult Run(string model, string dataset, int epochs, string device, int? threads, DataRoot root, int seed = 1, int? evalUsers = null)
    {
        if (epochs < 1) throw new ReproDiffException($"--epochs {epochs}: must be at least 1.");
        var dev = TorchRuntime.ResolveDevice(device);
        var usedThreads = TorchRuntime.SetThreads(threads);
        TorchRuntime.Seed(seed);
        var seqDiffRec = Reproduction.Du2023.Options(model, dataset); // SeqDiffRec or an ablation "SeqDiffRec/Name=value/…"
        if (!Models.Contains(model) && seqDiffRec is null) throw new ReproDiffException($"--model {model}: bench supports {string.Join(", ", Models)} so far.");
        var sequential = seqDiffRec is not null || Reproduction.Du2023.Models.Contains(model);
        if (sequential != (DatasetCatalog.Get(dataset).Layout == "sequences"))
            throw new ReproDiffException($"--model {model} is a {(sequential ? "next-item" : "user × item")} model but --dataset {dataset} holds " +
                $"{(sequential ? "a user × item matrix" : "sequences")}; its datasets: {string.Join(", ", sequential ? Reproduction.Li2023.Datasets : Reproduction.Wang2023.Datasets)}.");
        if (sequential) return RunSequential(model, seqDiffRec, dataset, epochs, dev, usedThreads, root, seed, evalUsers);
        var data = InteractionDataset.Load(root, dataset);
        using var m = Reproduction.Wang2023.Create(model, dataset, data, dev);
        var report = m.Fit(data, new TrainingOptions { MaxEpochs = epochs, EvalEvery = int.MaxValue }, seed: seed);
        var watch = Stopwatch.StartNew();
        Evaluator.Evaluate(m.Score, data, test: false, EvaluationProtocol.DiffRec);
        watch.Stop();
        var spe = report.SecondsPerEpochMedian;
        return new BenchResult(model, dataset, dev.type.ToString().ToLowerInvariant(), usedThreads, epochs, Math.Round(spe, 4),
            Math.Round(watch.Elapsed.TotalSeconds, 4), Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
            Math.Round(data.Users / spe, 1));
    }

    /// <summary>
    /// A next-item model: N epochs over its training examples, then one validation pass with DiffuRec's protocol, over the
    /// first <paramref name="evalUsers"/> users when given (DiffuRec's 32-step chain makes a full pass long on a CPU);
    /// eval_sec is then scaled to all users, linearly, as the pass is a loop over equal batches.
    /// </summary>
    static BenchResult RunSequential(string model, SeqDiffRecOptions? seqDiffRec, string dataset, int epochs, TorchSharp.torch.Device dev, int threads, DataRoot root, int seed, int? evalUsers)
    {
        var data = SequenceDataset.Load(root, dataset);
        var evalData = evalUsers is { } n ? data.Head(n) : data;
        // SeqDiffRec's evaluation is timed with the paper's inference, Algorithm 2's reverse chain
        using ISequentialRecommender m = seqDiffRec is not null
            ? new SeqDiffRec(data.Items, seqDiffRec with { Inference = SeqDiffRecInference.ReverseChain }, dev)
            : Reproduction.Li2023.Create(model, data.Items, dev);
        var report = m.Fit(data, new TrainingOptions { MaxEpochs = epochs, EvalEvery = int.MaxValue }, seed: seed);
        var watch = Stopwatch.StartNew();
        Evaluator.Evaluate(m.Score, evalData, test: false, EvaluationProtocol.DiffuRec, m.MaxLength, dev);
        watch.Stop();
        var spe = report.SecondsPerEpochMedian;
        var evalSeconds = watch.Elapsed.TotalSeconds * data.Users / evalData.Users;
        long examples = model switch
        {
            "DiffuRec" => data.Train.Sum(s => (long)s.Length - 1),
            _ when m is SeqDiffRec d => ExampleCount(d, data),
            _ => data.Users,
        };
        return new BenchResult(model, dataset, dev.type.ToString().ToLowerInvariant(), threads, epochs, Math.Round(spe, 4),
            Math.Round(evalSeconds, 4), Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
            Math.Round(examples / spe, 1)) { EvalUsers = evalData.Users };
    }

    /// <summary>The training examples SeqDiffRec's epoch runs over (every prefix, or the windows), as its Fit builds them.</summary>
    static long ExampleCount(SeqDiffRec model, SequenceDataset data)
    {
        using var examples = model.Examples(data);
        return examples.shape[0];
    }
}
