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
    /// <summary>The training precision (<see cref="MixedPrecision"/>): fp32, or bf16 mixed precision; evaluation is fp32 in both.</summary>
    [JsonPropertyName("precision")] public string Precision { get; init; } = "fp32";
    /// <summary>The allocator setting of the process (<see cref="TorchRuntime.RetainFreedMemory"/>); it moves both speed and peak memory.</summary>
    [JsonPropertyName("allocator")] public string Allocator { get; init; } = TorchRuntime.Allocator;

    /// <summary>Counted work of one training epoch, GFLOP (<see cref="Flops.Of"/>); null for a model not counted yet.</summary>
    [JsonPropertyName("train_gflop_per_epoch")] public double? TrainGflopPerEpoch { get; init; }
    /// <summary>Counted work of one validation pass, GFLOP.</summary>
    [JsonPropertyName("eval_gflop")] public double? EvalGflop { get; init; }
    /// <summary>This machine's fp32 and bf16 matmul throughput, GFLOP/s (<see cref="Flops.MatmulGflops"/>); bf16 only where the hardware has it.</summary>
    [JsonPropertyName("matmul_fp32_gflops")] public double? MatmulFp32Gflops { get; init; }
    [JsonPropertyName("matmul_bf16_gflops")] public double? MatmulBf16Gflops { get; init; }

    /// <summary>Achieved GFLOP/s of training and evaluation, and their share of the fp32 matmul throughput (evaluation is fp32 at either precision).</summary>
    [JsonPropertyName("train_gflops")] public double? TrainGflops => Rate(TrainGflopPerEpoch, SecPerEpochMedian);
    [JsonPropertyName("eval_gflops")] public double? EvalGflops => Rate(EvalGflop, EvalSec);
    [JsonPropertyName("train_share_of_fp32_matmul")] public double? TrainShare => Share(TrainGflops, MatmulFp32Gflops);
    [JsonPropertyName("eval_share_of_fp32_matmul")] public double? EvalShare => Share(EvalGflops, MatmulFp32Gflops);
    /// <summary>For bf16 training: the training rate's share of the bf16 matmul throughput, the ceiling of its matrix products.</summary>
    [JsonPropertyName("train_share_of_bf16_matmul")] public double? TrainShareBf16 => Precision == "bf16" ? Share(TrainGflops, MatmulBf16Gflops) : null;

    /// <summary>This result with the counted work in GFLOP (unchanged when the model is not counted).</summary>
    public BenchResult WithWork(Flops.Work? work) => work is null ? this
        : this with { TrainGflopPerEpoch = Math.Round(work.TrainPerEpoch / 1e9, 2), EvalGflop = Math.Round(work.EvalPass / 1e9, 2) };

    static double? Rate(double? gflop, double seconds) => gflop is { } g && seconds > 0 ? Math.Round(g / seconds, 1) : null;
    static double? Share(double? gflops, double? ceiling) => gflops is { } g && ceiling is { } peak && peak > 0 ? Math.Round(g / peak, 3) : null;
}

/// <summary>Times N training epochs (no evaluation inside) and one full validation evaluation with the official protocol.</summary>
public static class Bench
{
    public static string[] Models => [.. Reproduction.Wang2023.Models, .. Reproduction.Li2023.Models, "SeqDiffRec"];

    public static BenchResult Run(string model, string dataset, int epochs, string device, int? threads, DataRoot root, int seed = 1, int? evalUsers = null,
        Precision precision = Precision.Fp32)
    {
        if (epochs < 1) throw new ReproDiffException($"--epochs {epochs}: must be at least 1.");
        var (sequential, seqDiffRec) = Validate(model, dataset);
        var dev = TorchRuntime.ResolveDevice(device);
        MixedPrecision.Check(precision, dev);
        var training = new TrainingOptions { MaxEpochs = epochs, EvalEvery = int.MaxValue, Precision = precision };
        var usedThreads = TorchRuntime.SetThreads(threads);
        TorchRuntime.Seed(seed);
        if (sequential) return RunSequential(model, seqDiffRec, dataset, training, dev, usedThreads, root, seed, evalUsers) with { Precision = precision.Name() };
        var data = InteractionDataset.Load(root, dataset);
        using var m = Reproduction.Wang2023.Create(model, dataset, data, dev);
        var report = m.Fit(data, training, seed: seed);
        var watch = Stopwatch.StartNew();
        Evaluator.Evaluate(m.Score, data, test: false, EvaluationProtocol.DiffRec);
        watch.Stop();
        var spe = report.SecondsPerEpochMedian;
        var work = Flops.Of(m, data);
        return new BenchResult(model, dataset, dev.type.ToString().ToLowerInvariant(), usedThreads, epochs, Math.Round(spe, 4),
            Math.Round(watch.Elapsed.TotalSeconds, 4), Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
            Math.Round(data.Users / spe, 1)) { Precision = precision.Name() }.WithWork(work);
    }

    /// <summary>
    /// The machine's fp32 matmul throughput on <paramref name="device"/> with <paramref name="threads"/> (GFLOP/s), and bf16's
    /// where the hardware multiplies bf16 (a CPU with AVX512-BF16 or AMX, or CUDA): the ceiling bench's figures are read against.
    /// </summary>
    public static (double Fp32, double? Bf16) Calibrate(string device, int? threads)
    {
        var dev = TorchRuntime.ResolveDevice(device);
        TorchRuntime.SetThreads(threads);
        var fp32 = Math.Round(Flops.MatmulGflops(dev), 1);
        double? bf16 = dev.type == TorchSharp.DeviceType.CUDA || Flops.CpuHasBf16() ? Math.Round(Flops.MatmulGflops(dev, TorchSharp.torch.ScalarType.BFloat16), 1) : null;
        return (fp32, bf16);
    }

    /// <summary>Checks that bench knows <paramref name="model"/> and that <paramref name="dataset"/> has its layout; says whether it is a next-item model.</summary>
    public static (bool Sequential, SeqDiffRecOptions? SeqDiffRec) Validate(string model, string dataset)
    {
        var seqDiffRec = Reproduction.Du2023.Options(model, dataset); // SeqDiffRec or an ablation "SeqDiffRec/Name=value/…"
        if (!Models.Contains(model) && seqDiffRec is null) throw new ReproDiffException($"--model {model}: bench supports {string.Join(", ", Models)} so far.");
        var sequential = seqDiffRec is not null || Reproduction.Du2023.Models.Contains(model);
        if (sequential != (DatasetCatalog.Get(dataset).Layout == "sequences"))
            throw new ReproDiffException($"--model {model} is a {(sequential ? "next-item" : "user × item")} model but --dataset {dataset} holds " +
                $"{(sequential ? "a user × item matrix" : "sequences")}; its datasets: {string.Join(", ", sequential ? Reproduction.Li2023.Datasets : Reproduction.Wang2023.Datasets)}.");
        return (sequential, seqDiffRec);
    }

    /// <summary>
    /// A next-item model: N epochs over its training examples, then one validation pass with DiffuRec's protocol, over the
    /// first <paramref name="evalUsers"/> users when given (DiffuRec's 32-step chain makes a full pass long on a CPU);
    /// eval_sec is then scaled to all users by the counted work of the two passes (SASRec and SeqDiffRec skip the padding,
    /// so a user's cost follows the length of the history, and Beauty's first users have longer ones), or linearly when
    /// the model's work is not counted.
    /// </summary>
    static BenchResult RunSequential(string model, SeqDiffRecOptions? seqDiffRec, string dataset, TrainingOptions training, TorchSharp.torch.Device dev, int threads, DataRoot root, int seed, int? evalUsers)
    {
        var data = SequenceDataset.Load(root, dataset);
        var evalData = evalUsers is { } n ? data.Head(n) : data;
        // SeqDiffRec's evaluation is timed with the paper's inference, Algorithm 2's reverse chain
        using ISequentialRecommender m = seqDiffRec is not null
            ? new SeqDiffRec(data.Items, seqDiffRec with { Inference = SeqDiffRecInference.ReverseChain }, dev)
            : Reproduction.Li2023.Create(model, data.Items, dev);
        var report = m.Fit(data, training, seed: seed);
        var watch = Stopwatch.StartNew();
        Evaluator.Evaluate(m.Score, evalData, test: false, EvaluationProtocol.DiffuRec, m.MaxLength, dev);
        watch.Stop();
        var spe = report.SecondsPerEpochMedian;
        var work = Flops.Of(m, data);
        var timedWork = evalData.Users < data.Users ? Flops.Of(m, evalData)?.EvalPass : null;
        var evalSeconds = watch.Elapsed.TotalSeconds * (work is not null && timedWork is > 0 ? work.EvalPass / timedWork.Value : (double)data.Users / evalData.Users);
        long examples = model switch
        {
            "DiffuRec" => data.Train.Sum(s => (long)s.Length - 1),
            _ when m is SeqDiffRec d => d.ExampleCount(data),
            _ => data.Users,
        };
        return new BenchResult(model, dataset, dev.type.ToString().ToLowerInvariant(), threads, training.MaxEpochs, Math.Round(spe, 4),
            Math.Round(evalSeconds, 4), Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
            Math.Round(examples / spe, 1)) { EvalUsers = evalData.Users }.WithWork(work);
    }
}
