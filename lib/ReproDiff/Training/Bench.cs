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
    [property: JsonPropertyName("examples_per_sec")] double ExamplesPerSec);

/// <summary>Times N training epochs (no evaluation inside) and one full validation evaluation with the official protocol.</summary>
public static class Bench
{
    public static string[] Models => Reproduction.Wang2023.Models;

    public static BenchResult Run(string model, string dataset, int epochs, string device, int? threads, DataRoot root, int seed = 1)
    {
        if (epochs < 1) throw new ReproDiffException($"--epochs {epochs}: must be at least 1.");
        var dev = TorchRuntime.ResolveDevice(device);
        var usedThreads = TorchRuntime.SetThreads(threads);
        TorchRuntime.Seed(seed);
        if (!Models.Contains(model)) throw new ReproDiffException($"--model {model}: bench supports {string.Join(", ", Models)} so far.");
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
}
