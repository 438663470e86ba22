// DiffRec and T-DiffRec: Wang, Xu, Feng, Lin, He, Chua, "Diffusion Recommender Model", SIGIR 2023 (arXiv 2304.04971).
// Forward process over a user's interaction vector with the linear-variance schedule (Eq. 4), an MLP that predicts x_0
// (Eq. 8 with the x_0 parameterisation), the ELBO's SNR(t−1) − SNR(t) reweighting (§3.3), loss-second-moment importance
// sampling of steps, and inference from the (T′-noised) history through the posterior mean (§3.4).
// Reference code: YiyanXu/DiffRec @ d35a6c6, DiffRec/models/DNN.py, DiffRec/models/gaussian_diffusion.py, DiffRec/main.py.
// T-DiffRec (§3.5) is the time-weighted input of DiffRecOptions.TimeWeightMin (T-DiffRec/main.py).
using ReproDiff.Data;
using ReproDiff.Diffusion;
using ReproDiff.Evaluation;
using ReproDiff.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReproDiff.Models;

/// <summary>DiffRec's hyper-parameters, named as in the paper and the official <c>main.py</c> arguments.</summary>
public sealed record DiffRecOptions
{
    /// <summary>T, the diffusion steps (<c>--steps</c>).</summary>
    public int Steps { get; init; } = 40;
    /// <summary>s, the noise scale (<c>--noise_scale</c>); 0 turns diffusion off (the MLP is applied T times).</summary>
    public double NoiseScale { get; init; } = 0.005;
    public double NoiseMin { get; init; } = 0.005;
    public double NoiseMax { get; init; } = 0.01;
    /// <summary><c>beta_fixed</c>: β_1 = 1e-5 (True in DiffRec/, False in L-DiffRec/).</summary>
    public bool FixFirstBeta { get; init; } = true;
    /// <summary>Hidden sizes of the MLP (<c>--dims</c>); the input side mirrors them.</summary>
    public int[] Dims { get; init; } = [200, 600];
    /// <summary>Step embedding size (<c>--emb_size</c>).</summary>
    public int EmbeddingSize { get; init; } = 10;
    public double Dropout { get; init; } = 0.5;
    /// <summary>SNR(t−1) − SNR(t) weights (on in every released run, whatever the flag said: papers.md §1.5).</summary>
    public bool Reweight { get; init; } = true;
    public MeanType MeanType { get; init; } = MeanType.StartX;
    /// <summary>T′: 0 scores from the un-noised history (<c>--sampling_steps</c>).</summary>
    public int SamplingSteps { get; init; }
    public bool SamplingNoise { get; init; }
    /// <summary>Loss-second-moment importance sampling of steps (hard-coded 'importance' in the official training_losses).</summary>
    public bool ImportanceSampling { get; init; } = true;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; }
    public int BatchSize { get; init; } = 400;
    /// <summary>T-DiffRec: w_min of the linear time weights (w_max = 1); null is plain DiffRec.</summary>
    public double? TimeWeightMin { get; init; }

    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"DiffRec: steps = {Steps} must be at least 1.");
        if (SamplingSteps < 0 || SamplingSteps > Steps) throw new ArgumentException($"DiffRec: sampling_steps = {SamplingSteps} must lie in 0..steps ({Steps}).");
        if (Dims.Length == 0 || Dims.Any(d => d < 1)) throw new ArgumentException("DiffRec: dims must be a non-empty list of positive sizes.");
        if (BatchSize < 1) throw new ArgumentException($"DiffRec: batch_size = {BatchSize} must be positive.");
        if (!(LearningRate > 0)) throw new ArgumentException($"DiffRec: lr = {LearningRate} must be positive.");
        if (NoiseScale > 0) _ = Schedule();
    }

    public NoiseSchedule Schedule() => NoiseSchedule.LinearVariance(Steps, NoiseScale, NoiseMin, NoiseMax, FixFirstBeta);

    /// <summary>
    /// The released best settings per dataset (YiyanXu/DiffRec <c>DiffRec/inference.py</c> and checkpoint names; papers.md §1.6).
    /// T-DiffRec presets exist only for Amazon-book and Yelp; on ML-1M we use w_min = 0.1 (the smallest of the search set) and say so.
    /// </summary>
    public static DiffRecOptions Preset(string dataset, bool timeAware = false) => dataset switch
    {
        "diffrec-ml-1m-clean" => new() { LearningRate = 1e-3, Dims = [200, 600], Steps = 40, NoiseScale = 0.005, NoiseMin = 0.005, NoiseMax = 0.01, TimeWeightMin = timeAware ? 0.1 : null },
        "diffrec-ml-1m-noisy" => new() { LearningRate = 1e-3, Dims = [200, 600], Steps = 5, NoiseScale = 0.5, NoiseMin = 1e-3, NoiseMax = 0.01, TimeWeightMin = timeAware ? 0.1 : null },
        "diffrec-amazon-book-clean" => new() { LearningRate = 5e-5, Dims = [1000], Steps = 5, NoiseScale = 1e-4, NoiseMin = 5e-4, NoiseMax = 5e-3 },
        "diffrec-yelp-clean" => new() { LearningRate = 1e-5, Dims = [1000], Steps = 5, NoiseScale = 0.01, NoiseMin = 1e-3, NoiseMax = 0.01 },
        _ => throw new ReproDiffException($"no DiffRec preset for dataset '{dataset}'; presets: diffrec-ml-1m-clean, diffrec-ml-1m-noisy, diffrec-amazon-book-clean, diffrec-yelp-clean."),
    };
}

/// <summary>
/// The official DNN (<c>models/DNN.py</c>): dropout on the input, the step embedding (sinusoidal, then Linear(e, e))
/// concatenated to it, then Linear+tanh layers from n_items+e down to the bottleneck and back up to n_items, tanh after
/// every layer but the last. Weights N(0, 2/(fan_in+fan_out)), biases N(0, 0.001).
/// </summary>
public sealed class DiffRecDenoiser : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Linear embedding;
    readonly ModuleList<Linear> inLayers, outLayers;
    readonly Dropout dropout;
    readonly int embSize;

    public DiffRecDenoiser(int items, int[] dims, int embSize, double dropoutRate) : base(nameof(DiffRecDenoiser))
    {
        this.embSize = embSize;
        int[] outDims = [.. dims, items];
        int[] inDims = [items + embSize, .. outDims.Reverse().Skip(1)];
        embedding = nn.Linear(embSize, embSize);
        inLayers = new ModuleList<Linear>(inDims.Zip(inDims.Skip(1)).Select(p => nn.Linear(p.First, p.Second)).ToArray());
        outLayers = new ModuleList<Linear>(outDims.Zip(outDims.Skip(1)).Select(p => nn.Linear(p.First, p.Second)).ToArray());
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
        using var _ = no_grad();
        foreach (var layer in inLayers.Concat(outLayers).Append(embedding))
        {
            var (fanOut, fanIn) = (layer.weight!.shape[0], layer.weight.shape[1]);
            layer.weight.normal_(0, Math.Sqrt(2.0 / (fanIn + fanOut)));
            layer.bias!.normal_(0, 0.001);
        }
    }

    public override Tensor forward(Tensor x, Tensor t)
    {
        var emb = embedding.call(TimestepEmbedding.Sinusoidal(t, embSize));
        var h = cat([dropout.call(x), emb], 1);
        foreach (var layer in inLayers) h = layer.call(h).tanh();
        for (int i = 0; i < outLayers.Count; i++)
        {
            h = outLayers[i].call(h);
            if (i != outLayers.Count - 1) h = h.tanh();
        }
        return h;
    }
}

/// <summary>
/// DiffRec (and T-DiffRec with <see cref="DiffRecOptions.TimeWeightMin"/>). Training face: <see cref="ComputeLoss"/>;
/// user face: <see cref="Fit"/>, <see cref="Score"/> and <see cref="Recommend"/>.
/// </summary>
public sealed class DiffRec : IUserItemRecommender
{
    public static readonly ModelCard Card = new("DiffRec", "Wang et al. 2023, Diffusion Recommender Model", "SIGIR 2023",
        "https://github.com/YiyanXu/DiffRec @ d35a6c6 (DiffRec/)", "general (user × item)");

    public DiffRecOptions Options { get; }
    public DiffRecDenoiser Denoiser { get; }
    public GaussianDiffusion? Diffusion { get; }
    public ITimestepSampler? Sampler { get; }
    public Device Device { get; }
    public int Items { get; }
    Tensor? input;      // [users, items] dense training input (time-weighted for T-DiffRec)

    public DiffRec(int items, DiffRecOptions options, Device? device = null)
    {
        options.Validate();
        Options = options;
        Items = items;
        Device = device ?? CPU;
        Denoiser = new DiffRecDenoiser(items, options.Dims, options.EmbeddingSize, options.Dropout);
        Denoiser.to(Device);
        if (options.NoiseScale > 0)
        {
            Diffusion = new GaussianDiffusion(options.Schedule(), Device);
            Sampler = options.ImportanceSampling ? new LossSecondMomentSampler(options.Steps) : new UniformTimestepSampler(options.Steps);
        }
    }

    public long ParameterCount => Denoiser.parameters().Sum(p => p.numel());

    /// <summary>The batch loss (the official <c>training_losses(...)["loss"].mean()</c>); feeds the step sampler.</summary>
    public Tensor ComputeLoss(Tensor x0)
    {
        if (Diffusion is null) // noise_scale = 0: no diffusion, a denoising autoencoder at step 0 (official behaviour)
            return (Denoiser.call(x0, zeros(x0.shape[0], int64, Device)) - x0).square().mean();
        var (t, pt) = Sampler!.Sample(x0.shape[0], Device);
        var loss = Diffusion.TrainingLoss((xt, tt) => Denoiser.call(xt, tt), x0, t, pt, Options.MeanType, Options.Reweight);
        Sampler.Update(t, loss.Weighted); // the history holds the weighted loss before division by p_t, as the official code does
        return loss.Loss.mean();
    }

    /// <summary>Scores for users: the reverse chain from their (T′-noised) training vectors (DiffRec <c>p_sample</c>).</summary>
    public Tensor Score(long[] users)
    {
        if (input is null) throw new InvalidOperationException("DiffRec: call Fit (or SetInput) before scoring.");
        using var _ = no_grad();
        Denoiser.eval();
        var x = input.index_select(0, tensor(users, device: Device));
        if (Diffusion is null)
        {
            for (int i = Options.Steps - 1; i >= 0; i--) x = Denoiser.call(x, full(x.shape[0], i, int64, Device));
            return x;
        }
        return Diffusion.PSample((xt, t) => Denoiser.call(xt, t), x,
            PSampleOptions.DiffRec(Options.SamplingSteps) with { AddNoise = Options.SamplingNoise, MeanType = Options.MeanType });
    }

    /// <summary>The dense per-user input the model trains on and scores from (binary, or time-weighted for T-DiffRec).</summary>
    public void SetInput(InteractionDataset data)
    {
        input?.Dispose();
        var m = Options.TimeWeightMin is { } wMin ? data.TimeWeightedTrain(wMin) : data.Train;
        input = Dense(m, Device).DetachFromDisposeScope();
    }

    /// <summary>Trains with the official loop: shuffled batches of users, AdamW, evaluation on validation by the protocol's metric.</summary>
    public TrainingReport Fit(InteractionDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1)
    {
        SetInput(data);
        protocol ??= EvaluationProtocol.DiffRec;
        using var optimizer = optim.AdamW(Denoiser.parameters(), lr: Options.LearningRate, weight_decay: Options.WeightDecay);
        return Trainer.Fit(Denoiser, [optimizer], UserBatches.Shuffled(input!, Options.BatchSize, new Random(seed)), x0 => { Denoiser.train(); return ComputeLoss(x0); },
            () => Evaluator.Evaluate(Score, data, test: false, protocol), training, progress, cancel);
    }

    /// <summary>A CSR matrix as a dense float tensor on <paramref name="device"/> (values, or 1 for a 0/1 matrix).</summary>
    public static Tensor Dense(SparseMatrix m, Device device)
    {
        var data = new float[(long)m.Rows * m.Columns];
        for (int r = 0; r < m.Rows; r++)
            for (int j = m.RowPointers[r]; j < m.RowPointers[r + 1]; j++)
                data[(long)r * m.Columns + m.Indices[j]] = m.Values?[j] ?? 1f;
        return tensor(data, [m.Rows, m.Columns]).to(device);
    }

    public void Dispose()
    {
        input?.Dispose();
        Diffusion?.Dispose();
        Denoiser.Dispose();
    }
}
