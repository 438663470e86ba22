using static TorchSharp.torch;

namespace ReproDiff.Diffusion;

/// <summary>Draws the diffusion steps of a training batch and the importance weight p_t of each (1 for uniform).</summary>
public interface ITimestepSampler
{
    (Tensor T, Tensor Pt) Sample(long batchSize, Device device, Generator? generator = null);
    /// <summary>Feeds back the per-sample losses at the sampled steps (a no-op for uniform sampling).</summary>
    void Update(Tensor t, Tensor losses);
}

/// <summary>t ~ U{0..T−1}, p_t = 1.</summary>
public sealed class UniformTimestepSampler(int steps) : ITimestepSampler
{
    public (Tensor T, Tensor Pt) Sample(long batchSize, Device device, Generator? generator = null) =>
        (randint(0, steps, [batchSize], dtype: int64, device: device, generator: generator), ones(batchSize, float32, device));

    public void Update(Tensor t, Tensor losses) { }
}

/// <summary>
/// Loss-second-moment importance sampling, as DiffRec's <c>sample_timesteps(method='importance')</c> and DiffuRec's
/// <c>LossSecondMomentResampler</c>: p_t ∝ √E[L_t²] over the last <see cref="HistoryPerTerm"/> losses of each step, mixed
/// with <see cref="UniformProbability"/> of uniform; uniform until every step has a full history (the warm-up).
/// The returned weight is p_t · T, so the loss divided by it stays unbiased (and equals 1 under uniform sampling).
/// </summary>
public sealed class LossSecondMomentSampler : ITimestepSampler
{
    readonly double[,] history;
    readonly int[] count;
    public int Steps { get; }
    public int HistoryPerTerm { get; }
    public double UniformProbability { get; }

    public LossSecondMomentSampler(int steps, int historyPerTerm = 10, double uniformProbability = 0.001)
    {
        if (steps < 1 || historyPerTerm < 1 || uniformProbability is < 0 or > 1)
            throw new ArgumentException("LossSecondMomentSampler: steps and history must be positive and the uniform share within [0, 1].");
        Steps = steps; HistoryPerTerm = historyPerTerm; UniformProbability = uniformProbability;
        history = new double[steps, historyPerTerm];
        count = new int[steps];
    }

    public bool IsWarmedUp => count.All(c => c == HistoryPerTerm);

    /// <summary>The current sampling distribution over steps (uniform before warm-up).</summary>
    public double[] Probabilities()
    {
        if (!IsWarmedUp) return Enumerable.Repeat(1.0 / Steps, Steps).ToArray();
        var rms = new double[Steps];
        for (int t = 0; t < Steps; t++)
        {
            double s = 0;
            for (int k = 0; k < HistoryPerTerm; k++) s += history[t, k] * history[t, k];
            rms[t] = Math.Sqrt(s / HistoryPerTerm);
        }
        var total = rms.Sum();
        return rms.Select(r => r / total * (1 - UniformProbability) + UniformProbability / Steps).ToArray();
    }

    public (Tensor T, Tensor Pt) Sample(long batchSize, Device device, Generator? generator = null)
    {
        var p = Probabilities();
        using var probs = tensor(p, float64);
        var t = multinomial(probs, batchSize, replacement: true, generator: generator);
        var pt = (probs.index_select(0, t) * Steps).to_type(float32);
        return (t.to(device), pt.to(device));
    }

    public void Update(Tensor t, Tensor losses)
    {
        var ts = t.cpu().to_type(int64).data<long>().ToArray();
        var ls = losses.detach().cpu().to_type(float64).data<double>().ToArray();
        for (int i = 0; i < ts.Length; i++)
        {
            int s = (int)ts[i];
            if (count[s] == HistoryPerTerm)
            {
                for (int k = 0; k < HistoryPerTerm - 1; k++) history[s, k] = history[s, k + 1];
                history[s, HistoryPerTerm - 1] = ls[i];
            }
            else history[s, count[s]++] = ls[i];
        }
    }
}
