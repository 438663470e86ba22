using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Diffusion;

/// <summary>A denoiser: maps (x_t, t) to its prediction (x_0 or ε, see <see cref="MeanType"/>). t holds 0-based step indices.</summary>
public delegate Tensor Denoiser(Tensor xt, Tensor t);

/// <summary>What the denoiser predicts: DiffRec's <c>ModelMeanType.START_X</c> / <c>EPSILON</c> (diffusers' sample / epsilon).</summary>
public enum MeanType { StartX, Epsilon }

/// <summary>
/// The reverse-step variance: <see cref="FixedSmall"/> is the posterior variance β̃_t (DiffRec, DDPM σ² = β̃);
/// <see cref="FixedLarge"/> is β_t with its first entry replaced by β̃_2 (DiffuRec's <c>p_mean_variance</c>, DDPM σ² = β).
/// </summary>
public enum VarianceType { FixedSmall, FixedLarge }

/// <summary>One reverse step's result: x_{t−1} and the x_0 the model implied.</summary>
public readonly record struct StepOutput(Tensor Prev, Tensor PredX0);

/// <summary>Mean and variance of p_θ(x_{t−1} | x_t) and the implied x_0.</summary>
public readonly record struct PMean(Tensor Mean, Tensor Variance, Tensor LogVariance, Tensor PredX0);

/// <summary>
/// Per-sample training loss: <see cref="Loss"/> is weighted and divided by p_t; <see cref="Mse"/> is the plain MSE;
/// <see cref="PredX0"/> is the x_0 the model implied (DiffRec's <c>pred_xstart</c>, which L-DiffRec decodes).
/// </summary>
public readonly record struct DiffusionLoss(Tensor Loss, Tensor Mse, Tensor Weighted, Tensor PredX0);

/// <summary>How <see cref="GaussianDiffusion.PSample"/> runs the reverse chain (each paper's loop is a preset).</summary>
public sealed record PSampleOptions
{
    /// <summary>
    /// DiffRec's <c>sampling_steps</c> T′: 0 starts from the un-noised input x_0 itself; T′ &gt; 0 starts from q(x_{T′}|x_0).
    /// Either way the loop then runs over all T steps (DiffRec <c>p_sample</c>, parity note 2). Ignored with <see cref="FromNoise"/>.
    /// </summary>
    public int StartSteps { get; init; }
    /// <summary>Start from pure Gaussian noise x_T ~ N(0, I) (textbook DDPM, DiffuRec).</summary>
    public bool FromNoise { get; init; }
    /// <summary>Add σ_t z at each step but the last (DiffRec's <c>sampling_noise</c>, default false: posterior mean only).</summary>
    public bool AddNoise { get; init; }
    public MeanType MeanType { get; init; } = MeanType.StartX;
    public VarianceType Variance { get; init; } = VarianceType.FixedSmall;
    /// <summary>When the schedule was respaced, the original step of each respaced index (the model is called with it).</summary>
    public IReadOnlyList<int>? TimestepMap { get; init; }
    /// <summary>Called after each step with (step index, x_{t−1}, predicted x_0), for notebooks that plot the chain.</summary>
    public Action<int, Tensor, Tensor>? OnStep { get; init; }
    public Generator? Generator { get; init; }
    /// <summary>The ε of the starting q_sample (DiffRec with T′ > 0) instead of a fresh draw: parity tests feed the official draw.</summary>
    public Tensor? StartNoise { get; init; }
    /// <summary>Supplies x_T (with <see cref="FromNoise"/>) and each step's z (with <see cref="AddNoise"/>) given their shape, in place of fresh draws.</summary>
    public Func<long[], Tensor>? Noise { get; init; }

    /// <summary>DiffRec's inference (<c>p_sample</c> with <c>sampling_noise=False</c>).</summary>
    public static PSampleOptions DiffRec(int samplingSteps = 0) => new() { StartSteps = samplingSteps, MeanType = MeanType.StartX };
    /// <summary>DiffuRec's inference: from noise, ancestral steps with noise and the fixed-large variance.</summary>
    public static PSampleOptions DiffuRec() => new() { FromNoise = true, AddNoise = true, MeanType = MeanType.StartX, Variance = VarianceType.FixedLarge };
    /// <summary>Textbook DDPM ancestral sampling from noise.</summary>
    public static PSampleOptions Ddpm(MeanType meanType = MeanType.Epsilon) => new() { FromNoise = true, AddNoise = true, MeanType = meanType };
}

/// <summary>
/// The Gaussian diffusion process over a <see cref="NoiseSchedule"/> (Ho et al. 2020; the shared core of DiffRec's
/// <c>gaussian_diffusion.py</c> and DiffuRec's <c>diffurec.py</c>). Names follow the math: q(x_t|x_0) is
/// <see cref="QSample"/>, q(x_{t−1}|x_t,x_0) is <see cref="QPosterior"/>, p_θ(x_{t−1}|x_t) is <see cref="PMeanVariance"/>.
/// Every method returns fresh tensors and leaves disposal to the caller's dispose scope.
/// </summary>
public sealed class GaussianDiffusion : IDisposable
{
    public NoiseSchedule Schedule { get; }
    public Device Device { get; }
    readonly Tensor betas, sqrtAb, sqrtOneMinusAb, ab, abPrev, postVar, postLogVar, coef1, coef2, largeVar, largeLogVar, snr;

    public GaussianDiffusion(NoiseSchedule schedule, Device? device = null)
    {
        Schedule = schedule;
        Device = device ?? CPU;
        Tensor T(double[] a) => tensor(a, dtype: float64, device: Device).DetachFromDisposeScope();
        betas = T(schedule.Betas);
        sqrtAb = T(schedule.SqrtAlphasCumprod);
        sqrtOneMinusAb = T(schedule.SqrtOneMinusAlphasCumprod);
        ab = T(schedule.AlphasCumprod);
        abPrev = T(schedule.AlphasCumprodPrev);
        postVar = T(schedule.PosteriorVariance);
        postLogVar = T(schedule.PosteriorLogVarianceClipped);
        coef1 = T(schedule.PosteriorMeanCoef1);
        coef2 = T(schedule.PosteriorMeanCoef2);
        var large = schedule.Betas.ToArray();
        if (large.Length > 1) large[0] = schedule.PosteriorVariance[1];
        largeVar = T(large);
        largeLogVar = T(large.Select(b => Math.Log(b)).ToArray());
        snr = T(schedule.Snr);
    }

    public int Steps => Schedule.Steps;

    /// <summary>a[t] for each sample, shaped to broadcast over x (DiffRec's <c>_extract_into_tensor</c>).</summary>
    static Tensor Extract(Tensor a, Tensor t, Tensor x)
    {
        var v = a.index_select(0, t.to(a.device).to_type(int64)).to(x.device).to_type(x.dtype);
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = v.shape[0];
        return v.view(shape);
    }

    /// <summary>q(x_t | x_0): √ᾱ_t x_0 + √(1−ᾱ_t) ε (Ho et al. Eq. 4).</summary>
    public Tensor QSample(Tensor x0, Tensor t, Tensor? noise = null)
    {
        noise ??= randn_like(x0);
        return Extract(sqrtAb, t, x0) * x0 + Extract(sqrtOneMinusAb, t, x0) * noise;
    }

    /// <summary>Mean and variance of q(x_t | x_0).</summary>
    public (Tensor Mean, Tensor Variance) QMeanVariance(Tensor x0, Tensor t) =>
        (Extract(sqrtAb, t, x0) * x0, Extract(ab, t, x0).neg().add(1).expand_as(x0));

    /// <summary>q(x_{t−1} | x_t, x_0) = N(μ̃_t, β̃_t I) with μ̃_t = coef1·x_0 + coef2·x_t (Ho et al. Eqs. 6–7).</summary>
    public (Tensor Mean, Tensor Variance, Tensor LogVariance) QPosterior(Tensor x0, Tensor xt, Tensor t) =>
        (Extract(coef1, t, xt) * x0 + Extract(coef2, t, xt) * xt, Extract(postVar, t, xt).expand_as(xt), Extract(postLogVar, t, xt).expand_as(xt));

    /// <summary>x_0 = x_t/√ᾱ_t − √(1/ᾱ_t − 1) ε.</summary>
    public Tensor PredictX0FromEps(Tensor xt, Tensor t, Tensor eps) =>
        Extract(ab, t, xt).rsqrt() * xt - (Extract(ab, t, xt).reciprocal() - 1).sqrt() * eps;

    /// <summary>ε = (x_t/√ᾱ_t − x_0) / √(1/ᾱ_t − 1).</summary>
    public Tensor PredictEpsFromX0(Tensor xt, Tensor t, Tensor x0) =>
        (Extract(ab, t, xt).rsqrt() * xt - x0) / (Extract(ab, t, xt).reciprocal() - 1).sqrt();

    /// <summary>p_θ(x_{t−1} | x_t): the posterior with the model's x_0 in place of the true one.</summary>
    public PMean PMeanVariance(Tensor modelOutput, Tensor xt, Tensor t, MeanType meanType = MeanType.StartX, VarianceType variance = VarianceType.FixedSmall)
    {
        var predX0 = meanType == MeanType.StartX ? modelOutput : PredictX0FromEps(xt, t, modelOutput);
        var (mean, _, _) = QPosterior(predX0, xt, t);
        var (v, lv) = variance == VarianceType.FixedSmall ? (postVar, postLogVar) : (largeVar, largeLogVar);
        return new PMean(mean, Extract(v, t, xt).expand_as(xt), Extract(lv, t, xt).expand_as(xt), predX0);
    }

    /// <summary>One reverse step x_t → x_{t−1}; noise (<paramref name="z"/>, or a fresh draw) is added only when <paramref name="addNoise"/> and t &gt; 0.</summary>
    public StepOutput Step(Tensor modelOutput, Tensor t, Tensor xt, MeanType meanType = MeanType.StartX,
        VarianceType variance = VarianceType.FixedSmall, bool addNoise = true, Generator? generator = null, Tensor? z = null)
    {
        var p = PMeanVariance(modelOutput, xt, t, meanType, variance);
        if (!addNoise) return new StepOutput(p.Mean, p.PredX0);
        z ??= randn(xt.shape, dtype: xt.dtype, device: xt.device, generator: generator);
        var nonzero = t.ne(0).to_type(xt.dtype).to(xt.device).view(Shape(xt));
        return new StepOutput(p.Mean + nonzero * (0.5 * p.LogVariance).exp() * z, p.PredX0);
    }

    static long[] Shape(Tensor x)
    {
        var s = new long[x.dim()];
        Array.Fill(s, 1L);
        s[0] = x.shape[0];
        return s;
    }

    /// <summary>
    /// The reverse chain. Each official loop is a preset of <see cref="PSampleOptions"/>: DiffRec starts from x_0 (or
    /// x_{T′}) and runs all T steps with the posterior mean only; DiffuRec and DDPM start from noise and add σ_t z.
    /// Every step runs in its own dispose scope; only x_{t−1} survives it.
    /// </summary>
    public Tensor PSample(Denoiser model, Tensor xStart, PSampleOptions? options = null)
    {
        options ??= new PSampleOptions();
        if (options.StartSteps < 0 || options.StartSteps > Steps)
            throw new ArgumentException($"PSample: StartSteps = {options.StartSteps} must be within 0..{Steps}.");
        var n = xStart.shape[0];
        Tensor x;
        using (var start = NewDisposeScope())
        {
            x = options.FromNoise ? options.Noise?.Invoke(xStart.shape) ?? randn(xStart.shape, dtype: xStart.dtype, device: xStart.device, generator: options.Generator)
                : options.StartSteps == 0 ? xStart.clone()
                : QSample(xStart, full(n, options.StartSteps - 1, int64, xStart.device),
                    options.StartNoise ?? randn(xStart.shape, dtype: xStart.dtype, device: xStart.device, generator: options.Generator));
            x = x.MoveToOuterDisposeScope();
        }
        for (int i = Steps - 1; i >= 0; i--)
        {
            using var scope = NewDisposeScope();
            var t = full(n, i, int64, xStart.device);
            var modelT = options.TimestepMap is null ? t : full(n, options.TimestepMap[i], int64, xStart.device);
            var output = model(x, modelT);
            var step = Step(output, t, x, options.MeanType, options.Variance, options.AddNoise, options.Generator,
                options.AddNoise ? options.Noise?.Invoke(x.shape) : null);
            options.OnStep?.Invoke(i, step.Prev, step.PredX0);
            var next = step.Prev.MoveToOuterDisposeScope();
            x.Dispose();
            x = next;
        }
        return x;
    }

    /// <summary>
    /// The training loss at steps t (DiffRec <c>training_losses</c>): MSE to the target (x_0 or ε), optionally reweighted
    /// by SNR(t−1) − SNR(t) for x_0-prediction (1 at t = 0; Wang et al. §3.3 / the code's <c>reweight</c>), then divided by
    /// the importance-sampling probability <paramref name="pt"/> (ones for uniform sampling).
    /// </summary>
    public DiffusionLoss TrainingLoss(Denoiser model, Tensor x0, Tensor t, Tensor? pt = null, MeanType meanType = MeanType.StartX, bool reweight = false, Tensor? noise = null)
    {
        noise ??= randn_like(x0);
        var xt = QSample(x0, t, noise);
        var output = model(xt, t);
        var predX0 = meanType == MeanType.StartX ? output : PredictX0FromEps(xt, t, output);
        var target = meanType == MeanType.StartX ? x0 : noise;
        var reduce = Enumerable.Range(1, (int)x0.dim() - 1).Select(i => (long)i).ToArray();
        var mse = reduce.Length == 0 ? (target - output).square() : (target - output).square().mean(reduce);
        Tensor weighted = mse;
        if (reweight)
        {
            if (meanType == MeanType.StartX)
            {
                var tPrev = (t - 1).clamp_min(0);
                var w = (snr.index_select(0, tPrev.to(snr.device)) - snr.index_select(0, t.to(snr.device)));
                w = where(t.to(snr.device).eq(0), ones_like(w), w).to(mse.device).to_type(mse.dtype);
                weighted = w * mse;
            }
            else
            {
                // ε-prediction: (1−ᾱ_t) / ((1−ᾱ_{t−1})² (1−β_t)) times the MSE, and the x_0 likelihood term at t = 0.
                var td = t.to(ab.device);
                var w = (ab.index_select(0, td).neg() + 1) / ((abPrev.index_select(0, td).neg() + 1).square() * (betas.index_select(0, td).neg() + 1));
                w = where(td.eq(0), ones_like(w), w).to(mse.device).to_type(mse.dtype);
                var likelihood = reduce.Length == 0 ? (x0 - predX0).square() / 2 : ((x0 - predX0).square() / 2).mean(reduce);
                weighted = w * where(t.eq(0), likelihood, mse);
            }
        }
        var loss = pt is null ? weighted : weighted / pt;
        return new DiffusionLoss(loss, mse, weighted, predX0);
    }

    // ---- ELBO terms (Ho et al. Eq. 5; Sohl-Dickstein et al. 2015), in nats summed over the non-batch dimensions ----

    /// <summary>KL(N(m1, e^{lv1}) ‖ N(m2, e^{lv2})) elementwise.</summary>
    public static Tensor NormalKl(Tensor mean1, Tensor logVar1, Tensor mean2, Tensor logVar2) =>
        0.5 * (logVar2 - logVar1 + (logVar1 - logVar2).exp() + (mean1 - mean2).square() * (-logVar2).exp() - 1);

    static Tensor SumFlat(Tensor x) => x.dim() <= 1 ? x : x.flatten(1).sum(1);

    /// <summary>Prior matching L_T = KL(q(x_T | x_0) ‖ N(0, I)) per sample.</summary>
    public Tensor PriorKl(Tensor x0)
    {
        var t = full(x0.shape[0], Steps - 1, int64, x0.device);
        var (mean, variance) = QMeanVariance(x0, t);
        return SumFlat(NormalKl(mean, variance.log(), zeros_like(mean), zeros_like(mean)));
    }

    /// <summary>Denoising matching L_{t−1} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) per sample, for t ≥ 1 (0-based).</summary>
    public Tensor StepKl(Tensor modelOutput, Tensor x0, Tensor xt, Tensor t, MeanType meanType = MeanType.StartX, VarianceType variance = VarianceType.FixedSmall)
    {
        var (qMean, _, qLogVar) = QPosterior(x0, xt, t);
        var p = PMeanVariance(modelOutput, xt, t, meanType, variance);
        return SumFlat(NormalKl(qMean, qLogVar, p.Mean, p.LogVariance));
    }

    /// <summary>
    /// Reconstruction L_0 = −log p_θ(x_0 | x_1) per sample for continuous data, with a Gaussian decoder of variance β_1
    /// (the posterior variance at the first step is 0, so the decoder uses the forward step's own variance).
    /// </summary>
    public Tensor ReconstructionNll(Tensor modelOutput, Tensor x0, Tensor x1, MeanType meanType = MeanType.StartX)
    {
        var t = zeros(x0.shape[0], int64, x0.device);
        var predX0 = meanType == MeanType.StartX ? modelOutput : PredictX0FromEps(x1, t, modelOutput);
        var mean = QPosterior(predX0, x1, t).Mean;
        var logVar = Math.Log(Schedule.Betas[0]);
        return SumFlat(0.5 * ((x0 - mean).square() / Schedule.Betas[0] + logVar + Math.Log(2 * Math.PI)));
    }

    /// <summary>
    /// The negative ELBO per sample, term by term: prior, Σ_t L_{t−1} (each with one draw of x_t ~ q(x_t|x_0)) and
    /// reconstruction. Costs T model calls. Returns (total, prior, denoising sum, reconstruction).
    /// </summary>
    public (Tensor Total, Tensor Prior, Tensor Denoising, Tensor Reconstruction) NegativeElbo(Denoiser model, Tensor x0, MeanType meanType = MeanType.StartX,
        VarianceType variance = VarianceType.FixedSmall, Generator? generator = null)
    {
        var n = x0.shape[0];
        var prior = PriorKl(x0);
        var denoising = zeros(n, x0.dtype, x0.device);
        Tensor recon = zeros(n, x0.dtype, x0.device);
        for (int i = 0; i < Steps; i++)
        {
            using var scope = NewDisposeScope();
            var t = full(n, i, int64, x0.device);
            var xt = QSample(x0, t, randn(x0.shape, dtype: x0.dtype, device: x0.device, generator: generator));
            var output = model(xt, t);
            if (i == 0) recon = ReconstructionNll(output, x0, xt, meanType).MoveToOuterDisposeScope();
            else denoising.add_(StepKl(output, x0, xt, t, meanType, variance));
        }
        return (prior + denoising + recon, prior, denoising, recon);
    }

    public void Dispose()
    {
        foreach (var t in new[] { betas, sqrtAb, sqrtOneMinusAb, ab, abPrev, postVar, postLogVar, coef1, coef2, largeVar, largeLogVar, snr })
            t.Dispose();
    }
}
