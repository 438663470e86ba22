#!/usr/bin/env python3
"""Writes notebooks/solutions/00-diffusion-foundations-solutions.ipynb (clean: no outputs).

Run from the repository root: python3 tools/notebooks/make_00_solutions.py. The notebook is the source of truth once
written; this script only saves typing JSON by hand.
"""
from nbwrite import Notebook

notebook = Notebook()
md, code = notebook.md, notebook.code

md(r"""
# Solutions · 00 · Diffusion foundations

Worked solutions to the exercises of `../00-diffusion-foundations.ipynb`. The chapter's objects are rebuilt here in
a few lines each (the three-Gaussian mixture and its exact denoiser of Section 4, the eight-mode ring, the toy
denoiser and VAE of Section 5), so this notebook runs on its own. The toys train for the chapter's number of
iterations; every number below is one run with one seed.
""")

notebook.solution_setup(["TorchSharp", "static TorchSharp.torch", "ReproDiff.Diffusion", "ReproDiff.Reporting", "ReproDiff.Runtime"])

code(r"""
string Profile = "quick";
int Seed = 0;
string DeviceName = "auto";
""", ["parameters"])

code(r"""
if (Profile is not ("quick" or "full")) throw new ArgumentException($"Profile must be quick or full, not '{Profile}'.");
var quick = Profile == "quick";
var device = TorchRuntime.ResolveDevice(DeviceName);
TorchRuntime.Seed(Seed);
int elboSamples = quick ? 4_000 : 40_000;
int trainIterations = quick ? 2_500 : 10_000;
int sampleCount = quick ? 2_000 : 10_000;

// Section 4's mixture p(x_0) = Σ π_k N(m_k, s_k²) and its Bayes-optimal x_0-predictor E[x_0 | x_t] for a schedule.
double[] weights = { 0.3, 0.5, 0.2 }, means = { -2.0, 0.5, 3.0 }, stds = { 0.4, 0.6, 0.3 };
var mixLogWeights = tensor(weights.Select(w => Math.Log(w)).ToArray(), float64, device);
var mixMeans = tensor(means, float64, device);
var mixVars = tensor(stds.Select(s => s * s).ToArray(), float64, device);
Func<Tensor, Tensor, Tensor> ExactDenoiser(NoiseSchedule schedule)
{
    var alphaBar = tensor(schedule.AlphasCumprod, float64, device);
    return (xt, t) =>
    {
        var ab = alphaBar.index_select(0, t).view(-1, 1);
        var v = ab * mixVars + (1 - ab);
        var m = ab.sqrt() * mixMeans;
        var logR = mixLogWeights - 0.5 * ((xt - m).square() / v + v.log());
        return (logR.softmax(1) * (mixMeans + ab.sqrt() * mixVars / v * (xt - m))).sum(1, keepdim: true);
    };
}
Tensor DrawX0(int n)
{
    var component = multinomial(tensor(weights, float64, device), n, replacement: true);
    return (mixMeans.index_select(0, component) + mixVars.index_select(0, component).sqrt() * randn(n, dtype: float64, device: device)).view(-1, 1);
}

// Section 5's ring of eight modes, its score (modes covered, share within 3σ) and the toy ε-denoiser.
var modes = tensor(Enumerable.Range(0, 8).SelectMany(k => new[] { 2 * Math.Cos(2 * Math.PI * k / 8), 2 * Math.Sin(2 * Math.PI * k / 8) }).ToArray(), float32, device).view(8, 2);
const double modeStd = 0.1;
Tensor SampleRing(long n) => modes.index_select(0, randint(0, 8, [n], dtype: int64, device: device)) + modeStd * randn(n, 2, device: device);
(int Covered, double Within3Sigma) ModeStats(Tensor points)
{
    using var scope = NewDisposeScope();
    var (nearest, index) = cdist(points.to_type(float32), modes).min(1);
    var within = nearest.lt(3 * modeStd);
    var counts = bincount(index[within], minlength: 8).to_type(float64);
    return ((int)counts.ge(0.25 * points.shape[0] / 8).sum().item<long>(), within.to_type(float64).mean().item<double>());
}
class ToyDenoiser : nn.Module<Tensor, Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> net;
    readonly int embDim;
    public ToyDenoiser(int hidden = 128, int embDim = 32) : base(nameof(ToyDenoiser))
    {
        this.embDim = embDim;
        net = nn.Sequential(nn.Linear(2 + embDim, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                            nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 2));
        RegisterComponents();
    }
    public override Tensor forward(Tensor x, Tensor t) => net.call(cat([x, TimestepEmbedding.Sinusoidal(t, embDim)], 1));
}
var toySchedule = NoiseSchedule.Cosine(100);
var toyDiffusion = new GaussianDiffusion(toySchedule, device);

// Trains the toy as the chapter does, with a choice of parameterisation, weights and step sampler; returns the
// network, the loss every 50 iterations and the mode statistics of sampleCount DDPM samples.
(ToyDenoiser Net, List<double> Losses, (int Covered, double Within3Sigma) Stats) TrainToy(MeanType meanType, bool reweight, ITimestepSampler sampler)
{
    TorchRuntime.Seed(Seed);
    var net = new ToyDenoiser().to(device);
    using var optimizer = optim.AdamW(net.parameters(), lr: 2e-3);
    var losses = new List<double>();
    for (int it = 1; it <= trainIterations; it++)
    {
        using var scope = NewDisposeScope();
        var x0 = SampleRing(512);
        var (t, pt) = sampler.Sample(512, device);
        var terms = toyDiffusion.TrainingLoss((xt, tt) => net.call(xt, tt), x0, t, pt, meanType, reweight);
        sampler.Update(t, terms.Weighted);
        var loss = terms.Loss.mean();
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        if (it % 50 == 0) losses.Add(loss.item<float>());
    }
    net.eval();
    using var noGrad = no_grad();
    using var s = NewDisposeScope();
    var samples = toyDiffusion.PSample((xt, tt) => net.call(xt, tt), zeros(sampleCount, 2, device: device), PSampleOptions.Ddpm(meanType));
    return (net, losses, ModeStats(samples));
}
Console.WriteLine($"profile {Profile}: {elboSamples:N0} ELBO samples, {trainIterations:N0} iterations per toy model");
""")

md(r"""
## Exercise 1 · A linear schedule in Section 4

The chapter's bound with the cosine schedule, and again with `NoiseSchedule.Linear(100, 1e-4, 0.05)`, each term
estimated with the library on the same draws of $x_0$.
""")

code(r"""
(double Prior, double Denoising, double Reconstruction, double Elbo) Terms(NoiseSchedule schedule, Tensor x0)
{
    using var scope = NewDisposeScope();
    using var diffusion = new GaussianDiffusion(schedule, device);
    var denoise = ExactDenoiser(schedule);
    var (total, prior, denoising, recon) = diffusion.NegativeElbo((xt, t) => denoise(xt, t), x0);
    return (prior.mean().item<double>(), denoising.mean().item<double>(), recon.mean().item<double>(), -total.mean().item<double>());
}
TorchRuntime.Seed(Seed);
var x0Draws = DrawX0(elboSamples);
var cosineTerms = Terms(NoiseSchedule.Cosine(100), x0Draws);
var linear = NoiseSchedule.Linear(100, 1e-4, 0.05);
var linearTerms = Terms(linear, x0Draws);
Console.WriteLine($"{"",-22}{"prior L_T",12}{"Σ L_t−1",12}{"L_0",12}{"ELBO",12}  (nats per sample)");
Console.WriteLine($"{"cosine (chapter)",-22}{cosineTerms.Prior,12:F5}{cosineTerms.Denoising,12:F4}{cosineTerms.Reconstruction,12:F4}{cosineTerms.Elbo,12:F4}");
Console.WriteLine($"{"linear 1e-4 … 0.05",-22}{linearTerms.Prior,12:F5}{linearTerms.Denoising,12:F4}{linearTerms.Reconstruction,12:F4}{linearTerms.Elbo,12:F4}");
Console.WriteLine($"linear: ᾱ_T = {linear.AlphasCumprod[^1]:F4}; E[x_0²] = {x0Draws.square().mean().item<double>():F2}");
ResultsChannel.Record("ex1_prior_cosine", cosineTerms.Prior);
ResultsChannel.Record("ex1_prior_linear", linearTerms.Prior);
ResultsChannel.Record("ex1_alphabar_T_linear", linear.AlphasCumprod[^1]);
ResultsChannel.Record("ex1_denoising_change", Math.Abs(linearTerms.Denoising - cosineTerms.Denoising));
""")

md(r"""
**Solution.** The prior term changes most, by orders of magnitude. With $\beta$ rising to 0.05, $\sum_t\beta_t\approx2.5$,
so $\bar\alpha_T\approx e^{-2.5}\approx0.08$ (printed above): $q(x_T\mid x_0)=\mathcal N(\sqrt{\bar\alpha_T}x_0,1-\bar\alpha_T)$ is no longer
close to $\mathcal N(0,1)$, and $L_T=\tfrac12\big(\sigma^2+\mu^2-1-\log\sigma^2\big)$ with $\sigma^2=1-\bar\alpha_T$, $\mu^2=\bar\alpha_T x_0^2$
averages about a tenth of a nat, against a vanishing term with the cosine schedule. The other terms change too (the
steps are spread differently), but the exact denoiser adapts to any schedule: the printed table shows how much.
""")

md(r"""
## Exercise 2 · The weight of the $\sigma_t^2=\beta_t$ bound
""")

code(r"""
var cos = NoiseSchedule.Cosine(100);
double worst = 0;
for (int t = 1; t < cos.Steps; t++)                     // 0-based t is the paper's t + 1
{
    var klWeight = cos.PosteriorMeanCoef1[t] * cos.PosteriorMeanCoef1[t] / (2 * cos.Betas[t]);     // coef1² / (2σ²), σ² = β_t
    var claimed = cos.PosteriorVariance[t] / (2 * cos.Betas[t]) * (cos.Snr[t - 1] - cos.Snr[t]);
    worst = Math.Max(worst, Math.Abs(klWeight - claimed) / claimed);
}
Console.WriteLine($"max relative difference over {cos.Steps - 1} steps: {worst:E2}");
ResultsChannel.Record("ex2_max_rel_difference", worst);
""")

md(r"""
**Solution.** The KL between two Gaussians with the same variance $\sigma_t^2$ weighs the squared difference of their
means by $1/(2\sigma_t^2)$, and the means differ by $\mathrm{coef}_1(x_0-\hat x_0)$ with
$\mathrm{coef}_1=\sqrt{\bar\alpha_{t-1}}\beta_t/(1-\bar\alpha_t)$. With $\sigma_t^2=\beta_t$ the weight is
$\frac{\bar\alpha_{t-1}\beta_t^2}{2\beta_t(1-\bar\alpha_t)^2}=\frac{\bar\alpha_{t-1}\beta_t}{2(1-\bar\alpha_t)^2}$, and
$\frac{\tilde\beta_t}{2\beta_t}\big(\mathrm{SNR}(t-1)-\mathrm{SNR}(t)\big)=\frac{1-\bar\alpha_{t-1}}{2(1-\bar\alpha_t)}\cdot\frac{\bar\alpha_{t-1}\beta_t}{(1-\bar\alpha_{t-1})(1-\bar\alpha_t)}$
is the same. The printed difference is at rounding level. With unequal variances the KL also has the constant
$\tfrac12\big(\tilde\beta_t/\beta_t-1-\log(\tilde\beta_t/\beta_t)\big)$, which this weight leaves out (Section 3 of the chapter).
""")

md(r"""
## Exercises 3 and 4 · DiffRec's loss on the toy, and the importance sampler

Three toy models, each trained for the chapter's iterations on the same data stream: the chapter's ε-model with
uniform steps; an $x_0$-model with the SNR weights (DiffRec's loss); the ε-model with the loss-second-moment sampler.
""")

code(r"""
var runs = new List<(string Name, List<double> Losses, (int Covered, double Within3Sigma) Stats)>();
var (epsNet, epsLosses, epsStats) = TrainToy(MeanType.Epsilon, false, new UniformTimestepSampler(toySchedule.Steps));
runs.Add(("ε, uniform steps (chapter)", epsLosses, epsStats));
var (x0Net, x0Losses, x0Stats) = TrainToy(MeanType.StartX, true, new UniformTimestepSampler(toySchedule.Steps));
runs.Add(("x₀, SNR weights (DiffRec)", x0Losses, x0Stats));
var importance = new LossSecondMomentSampler(toySchedule.Steps);
var (isNet, isLosses, isStats) = TrainToy(MeanType.Epsilon, false, importance);
runs.Add(("ε, importance-sampled steps", isLosses, isStats));
foreach (var r in runs)
    Console.WriteLine($"{r.Name,-30} final loss {r.Losses[^1],10:G4}   modes {r.Stats.Covered}/8, within 3σ {r.Stats.Within3Sigma:P1}");
var p = importance.Probabilities();
var late = p.Skip(toySchedule.Steps / 2).Sum();
Console.WriteLine($"importance sampler: p_1 = {p[0]:F4}, max p_t = {p.Max():F4} at t = {Array.IndexOf(p, p.Max()) + 1}, share of the first 10 steps {p.Take(10).Sum():P0}, of the last half {late:P0} (uniform: 10% and 50%)");
Console.WriteLine("shares of the four quarters of the steps: " + string.Join(", ", Enumerable.Range(0, 4).Select(q => p.Skip(q * p.Length / 4).Take(p.Length / 4).Sum().ToString("P0"))));
var iterationsAxis = Enumerable.Range(1, epsLosses.Count).Select(i => 50.0 * i).ToArray();
display(HTML(Plots.Html(Plots.Lines("Training loss of each toy model (each on its own scale)", "iteration", "batch loss (log scale)",
    runs.Select(r => new Series(r.Name, iterationsAxis, r.Losses.ToArray())), logY: true))));
display(HTML(Plots.Html(Plots.Bars("Step probabilities p_t of the importance sampler after training", "p_t",
    Enumerable.Range(1, p.Length).Select(t => t.ToString()).ToList(),
    new (string, IReadOnlyList<double>)[] { ("p_t", p), ("uniform", Enumerable.Repeat(1.0 / p.Length, p.Length).ToList()) }))));
ResultsChannel.Record("ex3_loss_ratio_x0_over_eps", x0Losses[^1] / epsLosses[^1]);
ResultsChannel.Record("ex3_within_3sigma_eps", epsStats.Within3Sigma);
ResultsChannel.Record("ex3_within_3sigma_x0_reweighted", x0Stats.Within3Sigma);
ResultsChannel.Record("ex4_p_first_ten_share", p.Take(10).Sum());
ResultsChannel.Record("ex4_p_max_step", Array.IndexOf(p, p.Max()) + 1);
ResultsChannel.Record("ex4_p_last_half_share", late);
ResultsChannel.Record("ex4_within_3sigma_importance", isStats.Within3Sigma);
""")

md(r"""
**Solution 3.** The two losses measure different things, so their values are not comparable: the reweighted $x_0$
loss multiplies each squared error by $\mathrm{SNR}(t-1)-\mathrm{SNR}(t)$, which reaches the thousands at small $t$, but
there the $x_0$ errors are tiny (here it ends at about a fifth of the ε-MSE; the chart shows each curve's own trend).
What matters is the samples: the reweighted $x_0$ model puts about a third of them within 3σ of a mode, against
over 90% for the chapter's ε-model. The weights put almost all of the gradient on the low-noise steps, which is what
DiffRec wants for a nearly clean input, and leave the high-noise steps, where a generator from pure noise starts,
with little training.

**Solution 4.** With an ε-model the loss is largest where $\epsilon$ is hardest to read off $x_t$: in the low-noise part
of the chain, where $x_t$ is almost $x_0$. The sampler's $p_t\propto\sqrt{\mathbb E[L_t^2]}$ follows: it draws about 70%
of its steps from the first half of the chain (uniform: 50%), with its peak in the first quarter rather than at $t=1$
itself (the printed shares and peak). Sample quality is about the same as with uniform steps.
""")

md(r"""
## Exercise 5 · The VAE with a larger latent and a wider decoder
""")

code(r"""
class ToyVae : nn.Module<Tensor, (Tensor Reconstruction, Tensor Mu, Tensor LogVar)>
{
    readonly nn.Module<Tensor, Tensor> encoder, decoder;
    public int Latent { get; }
    public ToyVae(int hidden, int latent) : base(nameof(ToyVae))
    {
        Latent = latent;
        encoder = nn.Sequential(nn.Linear(2, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 2 * latent));
        decoder = nn.Sequential(nn.Linear(latent, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 2));
        RegisterComponents();
    }
    public override (Tensor Reconstruction, Tensor Mu, Tensor LogVar) forward(Tensor x)
    {
        var h = encoder.call(x).chunk(2, 1);
        return (decoder.call(h[0] + (0.5 * h[1]).exp() * randn_like(h[0])), h[0], h[1]);
    }
    public Tensor Decode(Tensor z) => decoder.call(z);
}
// Trains a VAE; returns its mode statistics and the mean posterior variance of each latent dimension on fresh data.
((int Covered, double Within3Sigma) Stats, double[] PosteriorVariance) TrainVae(int hidden, int latent, double decoderVariance)
{
    TorchRuntime.Seed(Seed);
    using var vae = new ToyVae(hidden, latent).to(device);
    using var optimizer = optim.AdamW(vae.parameters(), lr: 2e-3);
    for (int it = 1; it <= trainIterations; it++)
    {
        using var scope = NewDisposeScope();
        var x0 = SampleRing(512);
        var (reconstruction, mu, logVar) = vae.call(x0);
        var loss = ((x0 - reconstruction).square().sum(1) / (2 * decoderVariance) + 0.5 * (mu.square() + logVar.exp() - logVar - 1).sum(1)).mean();
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
    }
    vae.eval();
    using var noGrad = no_grad();
    using var s = NewDisposeScope();
    var stats = ModeStats(vae.Decode(randn(sampleCount, latent, device: device)));
    var (_, _, lv) = vae.call(SampleRing(sampleCount));
    return (stats, lv.exp().mean([0]).cpu().to_type(float64).data<double>().ToArray());
}
var vaeChapter = TrainVae(128, 2, modeStd * modeStd);
var vaeWide = TrainVae(128, 8, 0.25);
Console.WriteLine($"chapter VAE (latent 2, decoder variance {modeStd * modeStd}):  modes {vaeChapter.Stats.Covered}/8, within 3σ {vaeChapter.Stats.Within3Sigma:P1}; " +
                  $"posterior variance per latent dimension [{string.Join(", ", vaeChapter.PosteriorVariance.Select(v => v.ToString("F3")))}]");
Console.WriteLine($"latent 8, decoder variance 0.25:                modes {vaeWide.Stats.Covered}/8, within 3σ {vaeWide.Stats.Within3Sigma:P1}; " +
                  $"posterior variance per latent dimension [{string.Join(", ", vaeWide.PosteriorVariance.Select(v => v.ToString("F3")))}]");
var unused = vaeWide.PosteriorVariance.Count(v => v > 0.9);
Console.WriteLine($"latent dimensions left at the prior (posterior variance > 0.9): {unused} of 8");
ResultsChannel.Record("ex5_within_3sigma_chapter", vaeChapter.Stats.Within3Sigma);
ResultsChannel.Record("ex5_within_3sigma_wide", vaeWide.Stats.Within3Sigma);
ResultsChannel.Record("ex5_unused_latents_wide", unused);
""")

md(r"""
**Solution.** The failure that shows is ignored latents: with eight latent dimensions for two-dimensional data, the KL
term pushes the dimensions the decoder does not need back to the prior, and most of them keep a posterior variance
near 1 (the printed count of dimensions above 0.9). Blur does not show in these samples, because they are the
decoder's means: the wider decoder variance adds no noise to them, it only makes reconstruction errors cheaper. Here
the share within 3σ of a mode even rises (printed), yet stays far below the diffusion model's: half of the eight
modes or more are still missed or smeared.
""")

md(r"""
## Exercise 6 · DiffRec-style sampling on the toy
""")

code(r"""
double moved, nearestAfter;
using (var scope = NewDisposeScope())
using (no_grad())
{
    TorchRuntime.Seed(Seed);
    var start = SampleRing(sampleCount);
    var options = PSampleOptions.DiffRec(10) with { MeanType = MeanType.Epsilon };   // T′ = 10 of 100: noise the input a little, then denoise
    var output = toyDiffusion.PSample((xt, t) => epsNet.call(xt, t), start, options);
    moved = (output - start).norm(1).mean().item<float>();
    nearestAfter = ModeStats(output).Within3Sigma;
    var fromNoise = toyDiffusion.PSample((xt, t) => epsNet.call(xt, t), zeros(sampleCount, 2, device: device), PSampleOptions.Ddpm(MeanType.Epsilon));
    Console.WriteLine($"DiffRec-style (T′ = 10, posterior means only): each point moves {moved:F3} on average (the modes are 2 apart at radius 2, std {modeStd}); " +
                      $"{nearestAfter:P1} of outputs within 3σ of a mode");
    var pairs = (output - start).norm(1).lt(0.5).to_type(float64).mean().item<double>();
    Console.WriteLine($"{pairs:P1} of the outputs stay within 0.5 of their own input; DDPM from noise has no input to stay near: a new sample each time");
    ResultsChannel.Record("ex6_mean_move", moved);
    ResultsChannel.Record("ex6_share_near_input", pairs);
}
""")

md(r"""
**Solution.** It does *not* return the inputs: the points move about three units on average and only a few percent end
near their start (printed). DiffRec's chain runs all $T$ steps whatever $T'$ is: the noised input is handed to the
network at $t=T$, where this model only ever saw pure noise, and its posterior means carry the points away. In
DiffRec the same design works because its noise is tiny at every step, so its network sees nearly clean inputs at
every $t$ in training too. The lesson for a recommender: a chain started from the user's data only stays personal if
the model was trained for such inputs at every step; a generator trained from pure noise is not.

## Summary

Exercise 1: a schedule that does not reach noise costs nats in the prior term. Exercise 2: the $\beta_t$ bound's
weight is the $\tilde\beta_t$ bound's times $\tilde\beta_t/\beta_t$. Exercises 3–4: loss weights and step samplers decide
where a model learns, and the loss values of different weightings are not comparable. Exercise 5: with a large latent
the VAE ignores most of it. Exercise 6: a chain started from data stays near it only if the model was trained on
nearly clean inputs at every step, as DiffRec's is.
""")

code(r"""
epsNet.Dispose(); x0Net.Dispose(); isNet.Dispose(); toyDiffusion.Dispose();
""")

notebook.write("solutions/00-diffusion-foundations-solutions.ipynb")
