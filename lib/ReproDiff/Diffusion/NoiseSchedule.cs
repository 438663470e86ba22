namespace ReproDiff.Diffusion;

/// <summary>
/// A variance schedule β_1..β_T and everything derived from it, in <c>double</c> on plain arrays (testable without
/// libtorch). Index <c>t</c> is 0-based as in both official repositories: <c>Betas[0]</c> is β_1.
/// Families: DDPM linear and quadratic; the sqrt and cosine schedules of improved DDPM / DiffuSeq; DiffuRec's
/// truncated linear with the 1000/T scaling (<c>diffurec.py get_named_beta_schedule('trunc_lin')</c>); DiffRec's
/// linear-variance schedule (Wang et al. Eq. 4, <c>gaussian_diffusion.py get_betas</c>, <c>beta_fixed</c>).
/// </summary>
public sealed class NoiseSchedule
{
    public string Name { get; }
    public int Steps => Betas.Length;
    /// <summary>β_t.</summary>
    public double[] Betas { get; }
    /// <summary>α_t = 1 − β_t.</summary>
    public double[] Alphas { get; }
    /// <summary>ᾱ_t = ∏_{s≤t} α_s.</summary>
    public double[] AlphasCumprod { get; }
    /// <summary>ᾱ_{t−1}, with ᾱ_0 = 1.</summary>
    public double[] AlphasCumprodPrev { get; }
    public double[] SqrtAlphasCumprod { get; }
    public double[] SqrtOneMinusAlphasCumprod { get; }
    /// <summary>β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t): the variance of q(x_{t−1} | x_t, x_0).</summary>
    public double[] PosteriorVariance { get; }
    /// <summary>log β̃_t with the first entry replaced by the second (β̃_1 = 0), as both official repositories do.</summary>
    public double[] PosteriorLogVarianceClipped { get; }
    /// <summary>Coefficient of x_0 in the posterior mean: β_t √ᾱ_{t−1} / (1 − ᾱ_t).</summary>
    public double[] PosteriorMeanCoef1 { get; }
    /// <summary>Coefficient of x_t in the posterior mean: (1 − ᾱ_{t−1}) √α_t / (1 − ᾱ_t).</summary>
    public double[] PosteriorMeanCoef2 { get; }
    /// <summary>SNR(t) = ᾱ_t / (1 − ᾱ_t).</summary>
    public double[] Snr { get; }

    /// <summary>Builds a schedule from explicit betas; each must lie in (0, 1].</summary>
    public NoiseSchedule(IReadOnlyList<double> betas, string name = "custom")
    {
        if (betas.Count < 1) throw new ArgumentException($"{name}: steps must be at least 1, got {betas.Count}.");
        for (int i = 0; i < betas.Count; i++)
            if (!(betas[i] > 0 && betas[i] <= 1))
                throw new ArgumentException($"{name}: beta[{i}] = {betas[i]} is outside (0, 1]; check the schedule's parameters.");
        Name = name;
        int T = betas.Count;
        Betas = betas.ToArray();
        Alphas = Betas.Select(b => 1 - b).ToArray();
        AlphasCumprod = new double[T];
        AlphasCumprodPrev = new double[T];
        double acc = 1;
        for (int t = 0; t < T; t++) { AlphasCumprodPrev[t] = acc; acc *= Alphas[t]; AlphasCumprod[t] = acc; }
        SqrtAlphasCumprod = AlphasCumprod.Select(Math.Sqrt).ToArray();
        SqrtOneMinusAlphasCumprod = AlphasCumprod.Select(a => Math.Sqrt(1 - a)).ToArray();
        PosteriorVariance = new double[T];
        PosteriorMeanCoef1 = new double[T];
        PosteriorMeanCoef2 = new double[T];
        for (int t = 0; t < T; t++)
        {
            var oneMinus = 1 - AlphasCumprod[t];
            PosteriorVariance[t] = Betas[t] * (1 - AlphasCumprodPrev[t]) / oneMinus;
            PosteriorMeanCoef1[t] = Betas[t] * Math.Sqrt(AlphasCumprodPrev[t]) / oneMinus;
            PosteriorMeanCoef2[t] = (1 - AlphasCumprodPrev[t]) * Math.Sqrt(Alphas[t]) / oneMinus;
        }
        PosteriorLogVarianceClipped = PosteriorVariance
            .Select((v, t) => Math.Log(t == 0 ? (T > 1 ? PosteriorVariance[1] : Betas[0]) : v)).ToArray();
        Snr = AlphasCumprod.Select(a => a / (1 - a)).ToArray();
    }

    /// <summary>DDPM linear: β from <paramref name="betaStart"/> to <paramref name="betaEnd"/>; with <paramref name="scaleTo1000"/> both are multiplied by 1000/T (DiffuSeq/DiffuRec 'linear').</summary>
    public static NoiseSchedule Linear(int steps, double betaStart = 1e-4, double betaEnd = 0.02, bool scaleTo1000 = false)
    {
        CheckSteps(steps, "linear");
        CheckRange(betaStart, betaEnd, "linear", "beta_start", "beta_end");
        var s = scaleTo1000 ? 1000.0 / steps : 1.0;
        return new NoiseSchedule(Linspace(s * betaStart, s * betaEnd, steps), scaleTo1000 ? "linear (1000/T)" : "linear");
    }

    /// <summary>DDPM 'quad': β_t = (linspace(√β_start, √β_end))².</summary>
    public static NoiseSchedule Quadratic(int steps, double betaStart = 1e-4, double betaEnd = 0.02)
    {
        CheckSteps(steps, "quadratic");
        CheckRange(betaStart, betaEnd, "quadratic", "beta_start", "beta_end");
        return new NoiseSchedule(Linspace(Math.Sqrt(betaStart), Math.Sqrt(betaEnd), steps).Select(x => x * x).ToArray(), "quadratic");
    }

    /// <summary>Cosine (Nichol and Dhariwal 2021): ᾱ(t) = cos²((t + s)/(1 + s) · π/2), s = 0.008, β capped at 0.999.</summary>
    public static NoiseSchedule Cosine(int steps, double s = 0.008)
    {
        CheckSteps(steps, "cosine");
        return new NoiseSchedule(FromAlphaBar(steps, t => Math.Pow(Math.Cos((t + s) / (1 + s) * Math.PI / 2), 2)), "cosine");
    }

    /// <summary>DiffuSeq's sqrt schedule: ᾱ(t) = 1 − √(t + 1e-4), β capped at 0.999.</summary>
    public static NoiseSchedule Sqrt(int steps)
    {
        CheckSteps(steps, "sqrt");
        return new NoiseSchedule(FromAlphaBar(steps, t => 1 - Math.Sqrt(t + 1e-4)), "sqrt");
    }

    /// <summary>
    /// DiffuRec's 'trunc_lin' (the default): linear β from (1000/T)·1e-4 + 0.01 to (1000/T)·0.02 + 0.01, or to
    /// (1000/T)·0.001 + 0.01 when that end would pass 1 (T ≤ 20; src/diffurec.py, found by the parity test).
    /// For T = 32 that is 0.013125 → 0.635 and 1 − ᾱ_T ≈ 0.999999 (papers.md §2.3).
    /// </summary>
    public static NoiseSchedule TruncatedLinear(int steps)
    {
        CheckSteps(steps, "truncated linear");
        var s = 1000.0 / steps;
        var end = s * 0.02 + 0.01;
        if (end > 1) end = s * 0.001 + 0.01;
        var betas = Linspace(s * 1e-4 + 0.01, end, steps);   // every β ≤ 1 (T = 1 keeps only the start, 0.11)
        return new NoiseSchedule(betas, "truncated linear");
    }

    /// <summary>
    /// DiffRec's 'linear-var' (Wang et al. Eq. 4): 1 − ᾱ_t = s·(α_min + (t−1)/(T−1)·(α_max − α_min)), betas from
    /// β_t = 1 − ᾱ_t/ᾱ_{t−1} capped at 0.999; with <paramref name="fixFirstBeta"/> (the code's <c>beta_fixed</c>, on in
    /// DiffRec/ and off in L-DiffRec/) β_1 is then forced to 1e-5.
    /// </summary>
    public static NoiseSchedule LinearVariance(int steps, double noiseScale, double noiseMin, double noiseMax, bool fixFirstBeta = true)
    {
        CheckSteps(steps, "linear-var");
        if (!(noiseScale > 0 && noiseScale <= 1))
            throw new ArgumentException($"linear-var: noise_scale = {noiseScale} must lie in (0, 1] (noise_scale = 0 means no diffusion: the model applies its MLP T times).");
        CheckRange(noiseMin, noiseMax, "linear-var", "noise_min", "noise_max");
        var variance = Linspace(noiseScale * noiseMin, noiseScale * noiseMax, steps);
        var betas = new double[steps];
        betas[0] = variance[0];
        for (int t = 1; t < steps; t++) betas[t] = Math.Min(1 - (1 - variance[t]) / (1 - variance[t - 1]), 0.999);
        if (fixFirstBeta) betas[0] = 1e-5;
        return new NoiseSchedule(betas, fixFirstBeta ? "linear-var (beta_fixed)" : "linear-var");
    }

    /// <summary>
    /// A shorter schedule over the kept steps <paramref name="keep"/> (ascending, 0-based) with the same ᾱ at those steps:
    /// β'_i = 1 − ᾱ_{keep_i}/ᾱ_{keep_{i−1}} (improved DDPM's respacing). A model trained on this schedule is called with
    /// the original step <c>keep[i]</c>.
    /// </summary>
    public NoiseSchedule Respace(IReadOnlyList<int> keep)
    {
        if (keep.Count == 0 || keep.Zip(keep.Skip(1)).Any(p => p.First >= p.Second) || keep[0] < 0 || keep[^1] >= Steps)
            throw new ArgumentException($"{Name}: respaced steps must be ascending and within 0..{Steps - 1}.");
        var betas = new double[keep.Count];
        double prev = 1;
        for (int i = 0; i < keep.Count; i++) { betas[i] = 1 - AlphasCumprod[keep[i]] / prev; prev = AlphasCumprod[keep[i]]; }
        return new NoiseSchedule(betas, $"{Name} respaced to {keep.Count}");
    }

    /// <summary>Evenly spaced kept steps for <see cref="Respace"/>, always including the last step.</summary>
    public int[] EvenlySpaced(int count)
    {
        if (count < 1 || count > Steps) throw new ArgumentException($"{Name}: cannot keep {count} of {Steps} steps.");
        return Enumerable.Range(0, count).Select(i => (int)Math.Round((double)(i + 1) * Steps / count) - 1).Distinct().ToArray();
    }

    static double[] FromAlphaBar(int steps, Func<double, double> alphaBar, double maxBeta = 0.999) =>
        Enumerable.Range(0, steps).Select(i => Math.Min(1 - alphaBar((i + 1.0) / steps) / alphaBar((double)i / steps), maxBeta)).ToArray();

    static double[] Linspace(double a, double b, int n) =>
        n == 1 ? [a] : Enumerable.Range(0, n).Select(i => a + (b - a) * i / (n - 1)).ToArray();

    static void CheckSteps(int steps, string name)
    {
        if (steps < 1) throw new ArgumentException($"{name}: steps must be at least 1, got {steps}.");
    }

    static void CheckRange(double lo, double hi, string name, string loName, string hiName)
    {
        if (!(lo > 0)) throw new ArgumentException($"{name}: {loName} = {lo} must be positive.");
        if (!(lo < hi)) throw new ArgumentException($"{name}: {loName} = {lo} must be below {hiName} = {hi} (are they swapped?).");
    }
}
