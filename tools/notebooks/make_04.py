#!/usr/bin/env python3
"""Writes notebooks/04-comparison.ipynb from the cells below (clean: no outputs).

Run from the repository root: python3 tools/notebooks/make_04.py. The notebook is the source of truth once written;
this script only saves typing JSON by hand.
"""
from nbwrite import Notebook

notebook = Notebook()
md, code = notebook.md, notebook.code

md(r"""
# 04 · Comparing recommenders fairly: diffusion models against their simplest rivals

Chapters 01–03 each reproduce one paper under that paper's own protocol. Papers compare their model against baselines
tuned less carefully than their own and report one run, so their tables cannot answer the question a practitioner
asks first: **does a diffusion recommender beat a well-tuned simple model at all, and at what cost?** This chapter
answers it with numbers measured here, for the user × item family on ML-1M (Sections 1–6) and for the next-item
family on Amazon Beauty at equal training time (Section 7): every model on one split, one protocol, one training rule
and several seeds, with intervals over seeds and over users, paired significance tests, measures beyond accuracy, and
the costs beside the accuracy.

**Profiles.** `quick` (about a minute on 2 CPU cores) runs the statistical machinery live on two models (EASE and
most-popular on the real ML-1M split) and reads the committed comparison that `reprodiff compare` wrote to
`papers/comparison/`. `full` re-runs both comparisons (user × item: 9 models × 3 seeds, over an hour on 2 cores;
next item: 5 models × 3 seeds at 30 minutes of training each, close to 3 hours per seed with the tests and probes).
""")

code(r"""
// Setup. The notebooks load the library from artifacts/notebook, a `dotnet publish` folder that carries its NuGet
// dependencies and TorchSharp's native libraries (patched for older distributions). Make it once, in the repository
// root: `./reprodiff notebooks setup` (environment/README.md, "Notebooks"). The check below says so if it is missing.
if (!System.IO.File.Exists("../artifacts/notebook/ReproDiff.dll") && !AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "ReproDiff"))
    throw new System.IO.FileNotFoundException("ReproDiff is not published for the notebooks: run `./reprodiff notebooks setup` in the repository root, then restart the kernel.");
""")

code(r"""
#r "nuget: Microsoft.Data.Analysis, 0.23.1"
#r "../artifacts/notebook/ReproDiff.dll"

using System.IO;
using Microsoft.Data.Analysis;
using TorchSharp;
using static TorchSharp.torch;
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Reporting;
using ReproDiff.Reproduction;
using ReproDiff.Runtime;
using ReproDiff.Training;
""")

code(r"""
string Profile = "quick";
int Seed = 1;
string DeviceName = "auto";
string Dataset = "diffrec-ml-1m-clean";
""", ["parameters"])

code(r"""
if (Profile is not ("quick" or "full")) throw new ArgumentException($"Profile must be quick or full, not '{Profile}'.");
var quick = Profile == "quick";
TorchRuntime.RetainFreedMemory();
var device = TorchRuntime.ResolveDevice(DeviceName);
TorchRuntime.Seed(Seed);
var data = InteractionDataset.Load(DataRoot.Resolve(), Dataset);
var study = Comparison.UserItem;
var protocol = study.Protocols[0];
Console.WriteLine($"{data.Name}: {data.Users:N0} users, {data.Items:N0} items, {data.Train.NonZeros:N0} training interactions");
Console.WriteLine($"models: {string.Join(", ", study.Models)}");
Console.WriteLine($"protocol: {protocol}");
var rule = study.Training("DiffRec", "full", null);
Console.WriteLine($"training rule (every model): validate every {rule.EvalEvery} epochs on {rule.Metric}, stop after {rule.Patience} validations without a better one, at most {rule.MaxEpochs} epochs");
""")

md(r"""
## 1. What makes a comparison fair

A difference between two numbers in two papers mixes the models with everything else: the split, the protocol (are
seen items masked? which users count?), how long and how carefully each model was tuned, and luck. The comparison
here fixes all of it but the model:

- **One split, one protocol.** Wang et al.'s ML-1M split (clean and noisy) and their official evaluation: full
  ranking over all items with the user's training and validation items masked, Recall and NDCG at 10 and 20, averaged
  over all users.
- **One training rule and one budget rule.** Each model keeps its own paper's settings (DiffRec, T-DiffRec, L-DiffRec,
  LT-DiffRec and MultVAE as Wang et al. released them; DAE, DiffRec's own network without its diffusion (noise scale
  0, one step: the denoising autoencoder with input dropout 0.5 that DiffRec reduces to); LightGCN with its paper's
  defaults; EASE with its one
  hyper-parameter λ chosen on validation from a grid of 8 values); every model is validated every 5 epochs and
  stopped after 20 epochs without a better validation Recall@20. Every seed gets at most the same wall-clock budget
  (10 minutes here); a model stopped by it is labelled *budgeted*, never presented as converged.
- **Several seeds.** Three seeds per model; the seed sets the initial weights, the batches and the diffusion noise.
  EASE and most-popular are deterministic: their seeds agree exactly.
- **The same users.** Every model ranks the same users' items, so two models can be compared *user by user*.

The simple rivals are there because practitioners try them first: **most-popular** (the same list for everyone) is
the floor, and **EASE** (Steck 2019) is a linear item-to-item model with a closed form,

$$\hat B=\arg\min_B\ \lVert X-XB\rVert_F^2+\lambda\lVert B\rVert_F^2\quad\text{s.t. } \operatorname{diag}(B)=0
\;\Rightarrow\; P=(X^\top X+\lambda I)^{-1},\quad \hat B_{ij}=-\frac{P_{ij}}{P_{jj}}\ (i\ne j),$$

scored as $XB$: no epochs, no randomness, one matrix inverse of size $|I|\times|I|$.
""")

md(r"""
## 2. Two kinds of uncertainty: seeds and users

A reported number $\bar m$ is a mean over users of one trained model. Two things could change it:

**Training randomness** (another seed gives another model). Over $n$ seeds with mean $\bar m$ and standard deviation
$s$, Student's interval is $\bar m \pm t_{0.975,\,n-1}\, s/\sqrt n$; with $n=3$, $t_{0.975,2}=4.30$, so three seeds
give a wide interval: that is honest, not a defect.

**Which users happen to be in the test set.** The per-user values $m_u$ of one model are resampled with replacement
(the bootstrap): the 2.5% and 97.5% quantiles of the resampled means give a 95% interval over users.

**Paired tests.** Two models are ranked for the *same* users, so the right question is about the per-user differences
$d_u=m_u^A-m_u^B$. The Wilcoxon signed-rank test ranks $|d_u|$ (zeros dropped, ties sharing the average rank) and asks
whether the positive ranks' sum $W^+$ is further from its null mean $n(n+1)/4$ than chance allows, with variance
$\frac{n(n+1)(2n+1)}{24}-\frac{\sum_g (t_g^3-t_g)}{48}$ over groups of $t_g$ tied values. Pairing removes the
between-user variation (some users are easy for every model), so a paired test can find a difference that two
overlapping unpaired intervals hide.

**Many pairs.** Nine models make 36 pairs; at 5% each, about two would be "significant" by chance. Holm's
correction sorts the $m$ p-values, multiplies the $k$-th smallest by $m-k+1$, and keeps the running maximum.

The cell below does all of this by hand for EASE and most-popular on the real split: per-user NDCG@20 from their
top-20 lists, the bootstrap intervals, and the paired test.
""")

code(r"""
// EASE with the λ the committed comparison chose on validation (its stop reason says which), else the full grid.
var committedRuns = Path.Combine("..", "papers", "comparison", $"user-item-{Dataset}.runs.json");
double[] grid = new EaseOptions().LambdaGrid;
if (File.Exists(committedRuns))
{
    var reason = ReproductionJson.Load(committedRuns).Runs.FirstOrDefault(r => r.Model == "EASE")?.StopReason ?? "";
    var m = System.Text.RegularExpressions.Regex.Match(reason, @"λ = ([0-9.]+)");
    if (m.Success) grid = [double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)];
}
var ease = new Ease(new EaseOptions { LambdaGrid = grid }, device);
var popular = new MostPopular(device);
ease.Fit(data, rule, protocol);
popular.Fit(data, rule, protocol);
Console.WriteLine($"EASE: λ = {ease.Lambda} ({(grid.Length == 1 ? "as selected in the committed run" : "selected on validation")}), {ease.ParameterCount:N0} weights");

// Per-user NDCG@20 from each model's top-20 lists: the same users, in user order.
double[] PerUserNdcg(Func<long[], Tensor> score)
{
    var lists = new Evaluator.TopLists();
    Evaluator.Evaluate(score, data, test: true, protocol, lists.Add);
    return Enumerable.Range(0, data.Users).Select(u =>
    {
        var truth = data.Test.Row(u).ToArray().ToHashSet();
        return truth.Count == 0 ? 0 : Metrics.Ndcg(lists.ByUser[u].AsSpan(0, 20), truth);
    }).ToArray();
}
var easeNdcg = PerUserNdcg(ease.Score);
var popularNdcg = PerUserNdcg(popular.Score);
var easeInterval = Statistics.BootstrapMean(easeNdcg);
var popularInterval = Statistics.BootstrapMean(popularNdcg);
var differences = easeNdcg.Zip(popularNdcg, (a, b) => a - b).ToArray();
var bothZero = easeNdcg.Zip(popularNdcg).Count(x => x.First == 0 && x.Second == 0);
var p = Statistics.WilcoxonP(easeNdcg, popularNdcg);
Console.WriteLine($"NDCG@20 over {data.Users:N0} users: EASE {easeInterval}, most-popular {popularInterval} (mean [95% bootstrap interval])");
Console.WriteLine($"per-user differences: {differences.Count(d => d > 0):N0} users better with EASE, {differences.Count(d => d < 0):N0} worse, {differences.Count(d => d == 0):N0} tied, {bothZero:N0} of them because both score 0");
Console.WriteLine($"paired Wilcoxon signed-rank p = {p:G3}");
// The same test with the pairing broken: most-popular's values shuffled over users (same mean, same spread).
var shuffleRng = new Random(Seed);
var shuffled = popularNdcg.OrderBy(_ => shuffleRng.NextDouble()).ToArray();
var pShuffled = Statistics.WilcoxonP(easeNdcg, shuffled);
Console.WriteLine($"with most-popular's users shuffled (pairing broken): p = {pShuffled:G3}");
ResultsChannel.Record("demo_wilcoxon_p_shuffled", pShuffled);
ResultsChannel.Record("demo_ease_ndcg@20", easeInterval.Estimate);
ResultsChannel.Record("demo_popular_ndcg@20", popularInterval.Estimate);
ResultsChannel.Record("demo_ease_bootstrap_width", easeInterval.High - easeInterval.Low);
ResultsChannel.Record("demo_wilcoxon_p", p);
ResultsChannel.Record("demo_tied_users", differences.Count(d => d == 0));
ResultsChannel.Record("demo_tied_both_zero", bothZero);
""")

md(r"""
Users whose difference is exactly 0 carry no evidence either way, and the signed-rank test drops them; the cell
printed how many there are and how many of them tie because neither model's top 20 holds a test item (both score 0). The histogram of the
non-zero differences shows what the test weighs.
""")

code(r"""
var nonZero = differences.Where(d => d != 0).ToArray();
var edges = Enumerable.Range(0, 41).Select(i => -1 + i * 0.05).ToArray();
var counts = edges.Take(40).Select((lo, i) => (double)nonZero.Count(d => d >= lo && (i == 39 ? d <= 1 : d < edges[i + 1]))).ToArray();
display(HTML(Plots.Html(Plots.Bars($"Per-user NDCG@20 differences, EASE − most-popular ({nonZero.Length:N0} users with a difference)", "users",
    edges.Take(40).Select(lo => (lo + 0.025).ToString("+0.00;−0.00;0.00", System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
    new[] { new BarGroup("users", counts) }, xTitle: "difference in NDCG@20 (bin centre)"))));
""")

md(r"""
## 3. The comparison on ML-1M

`reprodiff compare --family user-item` trains every model through the same experiment runner as the paper chapters
(resumable, one seed at a time) and keeps, for every test, the per-user NDCG@20 and Recall@20 and the measures
beyond accuracy of the top-20 lists. The quick profile reads what it committed; the full profile re-runs it here.
Accuracy first: the mean over seeds ± half the 95% t-interval, and the 95% bootstrap interval over users of the
seed-averaged per-user NDCG@20.
""")

code(r"""
var folder = Path.Combine("..", "papers", "comparison");
ComparisonReport Report(string dataset)
{
    if (quick)
    {
        var path = Path.Combine(folder, $"user-item-{dataset}.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is not committed; run `reprodiff compare --family user-item --datasets {dataset}` (or this notebook with Profile = \"full\").");
        return Comparison.Load(path);
    }
    var runs = Experiment.Run(study, study.Models, [dataset], "full", [1, 2, 3], DataRoot.Resolve(), DeviceName, "notebook 04 (full profile)",
        budget: TimeSpan.FromMinutes(10), output: Path.Combine("..", "artifacts", "compare", $"user-item-{dataset}.runs.json"), resume: true);
    return Comparison.Summarise(runs, "user-item", dataset, study);
}
var report = Report(Dataset);
Console.WriteLine($"{report.Dataset}: {report.Rows.Count} models, seeds {string.Join(", ", report.Seeds)}, commit {report.Environment.GitCommit?[..7]}, {report.Environment.Timestamp:yyyy-MM-dd}");
display(Comparison.AccuracyFrame(report));
ResultsChannel.Record("comparison_rows", report.Rows.Count);
""")

md(r"""
Beyond accuracy and cost, means over seeds. **Coverage@20**: the share of the catalogue that appears in at least one
user's top 20. **Gini@20**: inequality of exposure over all items (0: every item shown equally often; 1: one item
takes every slot). **Popularity percentile@20**: the mean catalogue percentile of the recommended items' training
popularity (1 = the most popular item). **Novelty@20**: the mean self-information $-\log_2 p_i$ of recommended items,
$p_i$ the share of users who interacted with $i$. **Diversity@10**: the mean over lists of $1-\cos(i,j)$ over item
pairs, with $\cos$ the cosine of the two items' training user sets. Costs: trainable parameters, the median seconds
per training epoch, epochs run, the wall-clock seconds from the start of training to the end of the kept epoch
(validations included), test time per 1,000 users, and the process's peak resident memory during the seed.
""")

code(r"""
display(Comparison.BeyondAccuracyAndCostFrame(report));
""")

md(r"""
## 4. Accuracy against cost, coverage and each other

Left to right is more training time (log scale); up is better ranking. A model is on the **Pareto front** when no
other model is both faster to train and more accurate. Error bars are the 95% intervals over seeds.
""")

code(r"""
var invariant = System.Globalization.CultureInfo.InvariantCulture;
var primary = report.Primary;
var points = report.Rows.Where(r => r.Cost.SecondsToBest is > 0).Select(r => new LabelledPoint(r.Model, r.Cost.SecondsToBest!.Value,
    r.Metrics[primary].Estimate, ErrorY: (r.Metrics[primary].High - r.Metrics[primary].Low) / 2)).ToList();
display(HTML(Plots.Html(Plots.Labelled($"{primary} against the time to the kept model ({report.Dataset})", "seconds from the start of training to the best epoch (log scale)", primary, points, logX: true))));
var front = points.Where(a => !points.Any(b => b != a && b.X <= a.X && b.Y >= a.Y && (b.X < a.X || b.Y > a.Y))).Select(a => a.Label).ToList();
Console.WriteLine($"Pareto front (time to the kept model, {primary}): {string.Join(", ", front.OrderBy(l => points.Single(x => x.Label == l).X))}");
ResultsChannel.Record("pareto_front", string.Join(",", front.Order()));
""")

code(r"""
display(HTML(Plots.Html(Plots.Labelled($"Catalogue coverage against accuracy ({report.Dataset})", "coverage@20 (share of items recommended to anyone)", primary,
    report.Rows.Where(r => r.Measures.ContainsKey("Coverage@20")).Select(r => new LabelledPoint(r.Model, r.Measures["Coverage@20"].Estimate, r.Metrics[primary].Estimate,
        ErrorY: (r.Metrics[primary].High - r.Metrics[primary].Low) / 2))))));
""")

md(r"""
The significance matrix: each cell is the row model's mean per-user NDCG@20 minus the column model's (averaged over
seeds); ✓ marks a difference that survives Holm's correction over all pairs at 5%, · one that does not.
""")

code(r"""
var names = report.Rows.Select(r => r.Model).ToList();
var z = new double[names.Count, names.Count];
var marks = new string[names.Count, names.Count];
for (int i = 0; i < names.Count; i++)
    for (int j = 0; j < names.Count; j++)
    {
        if (i == j) { z[i, j] = double.NaN; marks[i, j] = ""; continue; }
        var t = report.Significance.Single(x => (x.A == names[i] && x.B == names[j]) || (x.A == names[j] && x.B == names[i]));
        var d = t.A == names[i] ? t.MeanDifference : -t.MeanDifference;
        z[i, j] = d;
        marks[i, j] = d.ToString("+0.000;−0.000;0", invariant) + (t.Significant ? " ✓" : " ·");
    }
display(HTML(Plots.Html(Plots.Heatmap($"Paired differences in {primary}, row − column ({report.Dataset}; Wilcoxon, Holm)", names, names, z, marks, $"Δ {primary}"))));
Console.WriteLine($"{report.Significance.Count(t => t.Significant)} of {report.Significance.Count} pairs differ significantly after Holm's correction.");
ResultsChannel.Record("significant_pairs", report.Significance.Count(t => t.Significant));
ResultsChannel.Record("pairs", report.Significance.Count);
""")

md(r"""
## 5. Clean against noisy training data

Wang et al.'s noisy ML-1M adds false positives (low ratings kept as interactions) to training and validation; the test
set is the same kind of clean interactions. The drop from clean to noisy measures how much each model is misled. The
cell compares whatever both files hold.
""")

code(r"""
var noisyPath = Path.Combine(folder, "user-item-diffrec-ml-1m-noisy.json");
var other = Dataset == "diffrec-ml-1m-clean" && (File.Exists(noisyPath) || !quick) ? Report("diffrec-ml-1m-noisy") : null;
if (other is null) Console.WriteLine("no noisy comparison committed yet: run `reprodiff compare --family user-item --datasets diffrec-ml-1m-noisy`.");
else
{
    var both = report.Rows.Select(r => r.Model).Intersect(other.Rows.Select(r => r.Model)).ToList();
    var frame = new DataFrame(
        new StringDataFrameColumn("model", both),
        new DoubleDataFrameColumn($"clean {primary}", both.Select(m => Math.Round(report.Rows.Single(r => r.Model == m).Metrics[primary].Estimate, 4))),
        new DoubleDataFrameColumn($"noisy {primary}", both.Select(m => Math.Round(other.Rows.Single(r => r.Model == m).Metrics[primary].Estimate, 4))),
        new DoubleDataFrameColumn("relative drop", both.Select(m => Math.Round(1 - other.Rows.Single(r => r.Model == m).Metrics[primary].Estimate / report.Rows.Single(r => r.Model == m).Metrics[primary].Estimate, 3))));
    display(frame);
    ResultsChannel.Record("noisy_models", both.Count);
}
""")

md(r"""
## 6. What the numbers say

The cell prints, for each model, its distance to the best one and the paired test. Two readings of "significant" must
be kept apart. The paired test compares the **same users** under models whose per-user values are averaged over the
three seeds: it says whether *these trained models* rank these users differently, and with thousands of users even a
difference of a few thousandths passes it. Whether *another seed* would keep the order is the seed interval's question
(Section 3's first table): where two models' seed intervals overlap, a new training run could swap them even though
the user-level test is confident about the runs at hand. A claim that one *method* beats another needs both.
""")

code(r"""
double Mean(string model) => report.Rows.Single(r => r.Model == model).Metrics[primary].Estimate;
PairedTest Test(string a, string b) => report.Significance.Single(t => (t.A == a && t.B == b) || (t.A == b && t.B == a));
string Verdict(string a, string b) { var t = Test(a, b); return t.Significant ? $"significant (Holm p = {t.PHolm:G2})" : $"not significant (Holm p = {t.PHolm:G2})"; }
var best = report.Rows[0].Model;
Console.WriteLine($"best {primary}: {best} ({Mean(best):F4})");
foreach (var m in new[] { "EASE", "DiffRec", "T-DiffRec", "L-DiffRec", "LT-DiffRec", "MultVAE", "DAE", "LightGCN", "MostPopular" }.Where(m => m != best && report.Rows.Any(r => r.Model == m)))
    Console.WriteLine($"  {m,-12} {Mean(m):F4}  ({Mean(m) - Mean(best):+0.0000;−0.0000}; {Verdict(m, best)})");
var widest = report.Rows.Where(r => r.Measures.ContainsKey("Coverage@20")).MaxBy(r => r.Measures["Coverage@20"].Estimate)!;
Console.WriteLine($"widest coverage@20: {widest.Model} ({widest.Measures["Coverage@20"].Estimate:F3}; {primary} {Mean(widest.Model):F4})");
ResultsChannel.Record("best_model", best);
ResultsChannel.Record("widest_coverage_model", widest.Model);
foreach (var m in report.Rows.Select(r => r.Model))
    ResultsChannel.Record($"{m.ToLowerInvariant()}_{primary.ToLowerInvariant()}", Mean(m));
// Which model pairs are apart over seeds too: the two 95% t-intervals do not overlap.
bool SeedSeparated(string a, string b)
{
    var (x, y) = (report.Rows.Single(r => r.Model == a).Metrics[primary], report.Rows.Single(r => r.Model == b).Metrics[primary]);
    return x.Low > y.High || y.Low > x.High;
}
var pairsBoth = report.Significance.Count(t => t.Significant && SeedSeparated(t.A, t.B));
Console.WriteLine($"{report.Significance.Count(t => t.Significant)} of {report.Significance.Count} pairs significant over users; {pairsBoth} of them also apart over seeds (non-overlapping t-intervals)");
ResultsChannel.Record("pairs_significant_and_seed_separated", pairsBoth);
if (report.Rows.Any(r => r.Model == "EASE") && report.Rows.Any(r => r.Model == "DiffRec"))
{
    Console.WriteLine($"EASE against DiffRec: {Mean("EASE") - Mean("DiffRec"):+0.0000;−0.0000}, {Verdict("EASE", "DiffRec")} over users, {(SeedSeparated("EASE", "DiffRec") ? "apart" : "overlapping")} over seeds");
    ResultsChannel.Record("ease_minus_diffrec", Mean("EASE") - Mean("DiffRec"));
    ResultsChannel.Record("ease_vs_diffrec_seed_separated", SeedSeparated("EASE", "DiffRec"));
}
if (report.Rows.Any(r => r.Model == "DAE") && report.Rows.Any(r => r.Model == "DiffRec"))
{
    // What the diffusion adds to DiffRec: the same network, dropout and training rule without the Gaussian noise.
    Console.WriteLine($"DiffRec against DAE (its network without diffusion): {Mean("DiffRec") - Mean("DAE"):+0.0000;−0.0000}, {Verdict("DiffRec", "DAE")} over users, " +
                      $"{(SeedSeparated("DiffRec", "DAE") ? "apart" : "overlapping")} over seeds");
    var (diffrecCost, daeCost) = (report.Rows.Single(r => r.Model == "DiffRec").Cost, report.Rows.Single(r => r.Model == "DAE").Cost);
    Console.WriteLine($"  test time per 1,000 users: DiffRec {diffrecCost.TestMsPer1000Users:F0} ms, DAE {daeCost.TestMsPer1000Users:F0} ms; seconds to the kept model: {diffrecCost.SecondsToBest:F0} against {daeCost.SecondsToBest:F0}");
    ResultsChannel.Record("diffrec_minus_dae", Mean("DiffRec") - Mean("DAE"));
    ResultsChannel.Record("diffrec_vs_dae_seed_separated", SeedSeparated("DiffRec", "DAE"));
    ResultsChannel.Record("diffrec_over_dae_test_time", diffrecCost.TestMsPer1000Users!.Value / daeCost.TestMsPer1000Users!.Value);
}
""")

md(r"""
**What the diffusion adds to DiffRec.** DAE is DiffRec with its noise scale set to 0 and one step: the same MLP, the
same input dropout of 0.5, the same loss on $x_0$ and training rule, scored by one pass instead of a 40-step chain. The
last lines above compare the two. Their seed intervals overlap; the user-level test finds the small difference for
these trained models. As a statement about the method: on ML-1M the Gaussian diffusion buys at most a percent or two of
NDCG@20 over the denoising autoencoder it is built on, and its chain makes every recommendation about 25 times slower
(notebook 02, Section 1, explains why: the noise, of standard deviation about 0.006, is tiny next to the dropout).
""")

md(r"""
## 7. Next-item models at equal training time

The next-item family (DiffuRec, SeqDiffRec of Du et al., SASRec, GRU4Rec, most-popular) is compared on Amazon Beauty
under the protocol of Du et al.'s first author: leave-one-out, every item ranked with the user's history masked,
HR and NDCG at 10 and 20, the best epoch by validation NDCG@10. None of these models converges on 2 CPU cores in a
sitting (SeqDiffRec's first full seed took 113 minutes, DiffuRec's released schedule would take more than a day per
seed), so this family is compared **at equal training time**: every trained model gets a budget of 30 minutes per
seed, validations included, and keeps its best validated epoch. The budget is checked after each epoch, so the epoch
(and validation) running when it expires still completes: a model with long epochs overshoots, and the cost table's
"train s" says by how much (DiffuRec, with 7-minute epochs and a 32-step validation, trained 45 minutes on seed 1).
Read its rows as "best after about 30 minutes on this machine", not "best when converged"; every row stopped by the
budget says *budgeted*.

The committed file grows a few seeds per session (`papers/comparison/README.md` says which have finished); the
cell prints the seeds and models it holds. A row with one seed has no seed interval and says so; with two seeds the
t-interval is very wide ($t_{0.975,1}=12.7$).
""")

code(r"""
const string NextDataset = "diffurec-amazon-beauty";
var nextStudy = Comparison.NextItem;
ComparisonReport? NextReport()
{
    if (quick)
    {
        var path = Path.Combine(folder, $"next-item-{NextDataset}.json");
        if (File.Exists(path)) return Comparison.Load(path);
        Console.WriteLine($"{path} is not committed yet: run `reprodiff compare --family next-item --datasets {NextDataset} --budget-minutes 30` (or this notebook with Profile = \"full\").");
        return null;
    }
    var runs = Experiment.Run(nextStudy, nextStudy.Models, [NextDataset], "full", [1, 2, 3], DataRoot.Resolve(), DeviceName, "notebook 04 (full profile)",
        budget: TimeSpan.FromMinutes(30), output: Path.Combine("..", "artifacts", "compare", $"next-item-{NextDataset}.runs.json"), resume: true);
    return Comparison.Summarise(runs, "next-item", NextDataset, nextStudy);
}
var next = NextReport();
// a row name as a result key: "SeqDiffRec (one step, K = 4)" → "seqdiffrec_one_step_k_4"
string Key(string row) => System.Text.RegularExpressions.Regex.Replace(row.ToLowerInvariant(), "[^a-z0-9]+", "_").Trim('_');
if (next is not null)
{
    Console.WriteLine($"{next.Dataset}: {next.Rows.Count} rows, seeds {string.Join(", ", next.Seeds)}, budget {next.BudgetMinutes} min per seed, commit {next.Environment.GitCommit?[..7]}");
    display(Comparison.AccuracyFrame(next));
    display(Comparison.BeyondAccuracyAndCostFrame(next));
    foreach (var row in next.Rows)
        ResultsChannel.Record($"next_{Key(row.Model)}_ndcg@10", row.Metrics["NDCG@10"].Estimate);
    ResultsChannel.Record("next_rows", next.Rows.Count);
    ResultsChannel.Record("next_best_model", next.Rows[0].Model);
    var rowNdcg = next.Rows.ToDictionary(r => r.Model, r => r.Metrics["NDCG@10"].Estimate);
    var diffusionBest = next.Rows.Where(r => r.Model.StartsWith("DiffuRec", StringComparison.Ordinal) || r.Model.StartsWith("SeqDiffRec", StringComparison.Ordinal)).Max(r => r.Metrics["NDCG@10"].Estimate);
    if (rowNdcg.TryGetValue("SASRec", out var sasrecNdcg) && rowNdcg.TryGetValue("MostPopular", out var popularNdcg))
        Console.WriteLine($"NDCG@10: SASRec {sasrecNdcg:F4} = {sasrecNdcg / popularNdcg:F1} × most-popular's {popularNdcg:F4}" +
                          (rowNdcg.TryGetValue("GRU4Rec", out var gruNdcg) ? $", GRU4Rec {gruNdcg:F4} = {gruNdcg / popularNdcg:F1} ×" : "") + $"; the best diffusion row {diffusionBest:F4}");
    ResultsChannel.Record("next_best_diffusion_ndcg@10", diffusionBest);
    if (next.Rows.FirstOrDefault(r => r.Model == "GRU4Rec") is { } gru && next.Rows.FirstOrDefault(r => r.Model == "SASRec") is { } sas)
        ResultsChannel.Record("next_gru4rec_sasrec_seed_intervals_overlap", gru.Metrics["NDCG@10"].Low <= sas.Metrics["NDCG@10"].High);
    // the user-level paired test of each diffusion row against most-popular (Holm-corrected, as in the .md page's matrix)
    foreach (var t in next.Significance.Where(t => t.Metric == "NDCG@10" && (t.A == "MostPopular" || t.B == "MostPopular")))
    {
        var other = t.A == "MostPopular" ? t.B : t.A;
        if (!other.StartsWith("DiffuRec", StringComparison.Ordinal) && !other.StartsWith("SeqDiffRec", StringComparison.Ordinal)) continue;
        Console.WriteLine($"{other} against most-popular, paired over users: mean difference {(t.A == other ? t.MeanDifference : -t.MeanDifference):+0.0000;-0.0000}, Holm p = {t.PHolm:G2}{(t.Significant ? "" : " (not separated)")}");
        ResultsChannel.Record($"next_{Key(other)}_vs_mostpopular_separated", t.Significant);
    }
    var perEpoch = next.Rows.Where(r => r.Cost.SecondsPerEpoch is > 0).ToDictionary(r => r.Model, r => r.Cost.SecondsPerEpoch!.Value);
    if (perEpoch.TryGetValue("DiffuRec", out var diffuEpoch) && perEpoch.TryGetValue("SASRec", out var sasEpoch))
    {
        Console.WriteLine($"seconds per epoch: DiffuRec {diffuEpoch:F0}, SASRec {sasEpoch:F0} ({diffuEpoch / sasEpoch:F0}×); epochs in the budget: " +
                          string.Join(", ", next.Rows.Where(r => r.Cost.Epochs is > 0).Select(r => $"{r.Model} {r.Cost.Epochs:F0}")));
        ResultsChannel.Record("next_epoch_ratio_diffurec_over_sasrec", diffuEpoch / sasEpoch);
    }
}
""")

md(r"""
**Sampling draws and reverse steps.** DiffuRec and SeqDiffRec rank by sampling: each test draws fresh noise. After
its test, the runner re-tests the same kept model (the *probes*): DiffuRec with another draw of its 32-step chain and
with the chain respaced to 1, 4 and 8 steps; SeqDiffRec's Algorithm 2 chain with another draw, and its one-step
inference with another draw and with K = 1 and 16 averaged draws (its row uses K = 4). Jaccard@10 is the mean over
users of the overlap between the probe's top 10 and the row's own top 10 (1: the same lists). The charts put every
inference on one axis, the number of denoiser calls per user.

On their committed seeds (three of each) the two models behave in opposite ways (the cell prints
the means over the seeds):
DiffuRec's lists barely depend on the draw or on the number of steps (Jaccard about 0.99 or more for every probe, the
same NDCG@10 at 1 step as at 32, at about a thirtieth of the latency), so its reverse chain is, in ranking terms, one
denoiser call made 32 times. SeqDiffRec's lists change with every draw (about a fifth of the top 10 shared between
two draws of the chain, about a tenth for the one-step inference): its ranking is mostly noise. Averaging more draws
makes the lists more stable (Jaccard 0.06 at K = 1, 0.15 at K = 16), and NDCG@10 moves by about as much as it does
between two draws at K = 4.

The accuracy table above is the sobering part. The two classic sequence models, trained with cross-entropy over all
items for the same 30 minutes, rank far above everything else: GRU4Rec first, at about six and a half times
most-popular's NDCG@10, then SASRec at about four times (three seeds each; every seed ranks GRU4Rec first, and the two
t-intervals are apart). The diffusion models sit at the popularity floor: SeqDiffRec below it on all three of its
seeds, which the paired test over users confirms; DiffuRec level with it, 0.0050, 0.0063 and 0.0052 on its three seeds
against most-popular's 0.0054, a mean of 0.0055 that the paired test over users does not separate from the floor
(seed 3 trained one epoch fewer than seeds 1 and 2: its epochs took a little longer and the fourth already crossed
the 30 minutes). On
equal CPU time the diffusion models lose twice over: an epoch of DiffuRec costs about 20 of SASRec's (its 32-step
evaluation another factor), so 30 minutes buy it a few epochs where SASRec gets seventy-odd and GRU4Rec a hundred.
Toys, Sports and Yelp follow, a few seeds per session (`papers/comparison/README.md` says what has finished).
""")

code(r"""
if (next is not null && Comparison.Probes(next) is { Count: > 0 } probed)
{
    display(Comparison.ProbeFrame(next));
    // One curve per stochastic inference: denoiser calls per user (reverse steps, or averaged one-step draws) against
    // NDCG@10 and against test latency; the row's own test is one point of each curve.
    (string Name, double Calls, double Ndcg, double Ms, double? Jaccard)[] Curve(string model, string probePrefix, Func<string, double> calls, double ownCalls)
    {
        var row = next.Rows.Single(r => r.Model == model);
        var points = probed.Where(p => p.Model == model && p.Probe.StartsWith(probePrefix, StringComparison.Ordinal))
            .Select(p => (p.Probe, calls(p.Probe), p.Values["NDCG@10"], p.Values["ms/1,000 users"], (double?)p.Values["Jaccard@10"])).ToList();
        points.Add(("own test", ownCalls, row.Metrics["NDCG@10"].Estimate, row.Cost.TestMsPer1000Users ?? double.NaN, null));
        return points.OrderBy(p => p.Item2).ToArray();
    }
    var curves = new List<(string Label, (string Name, double Calls, double Ndcg, double Ms, double? Jaccard)[] Points)>();
    if (next.Rows.Any(r => r.Model == "DiffuRec"))
        curves.Add(("DiffuRec: reverse steps", Curve("DiffuRec", "steps=", p => double.Parse(p["steps=".Length..], invariant), 32)));
    var oneStep = next.Rows.FirstOrDefault(r => r.Model.StartsWith("SeqDiffRec (one step", StringComparison.Ordinal));
    if (oneStep is not null)
        curves.Add(("SeqDiffRec: one step, K draws averaged", Curve(oneStep.Model, "K=", p => double.Parse(p["K=".Length..], invariant), 4)));
    if (next.Rows.Any(r => r.Model == "SeqDiffRec"))
        curves.Add(("SeqDiffRec: Algorithm 2's chain", Curve("SeqDiffRec", "none", _ => 0, 32)));
    var accuracyFigure = Plots.Lines($"NDCG@10 against denoiser calls per user ({NextDataset}, test)", "denoiser calls per user (log scale)", "NDCG@10",
        curves.Select(c => new Series(c.Label, c.Points.Select(p => p.Calls).ToArray(), c.Points.Select(p => p.Ndcg).ToArray())), markers: true);
    accuracyFigure.Layout["xaxis"]!["type"] = "log";
    display(HTML(Plots.Html(accuracyFigure)));
    var latencyFigure = Plots.Lines($"Test latency against denoiser calls per user ({NextDataset})", "denoiser calls per user (log scale)", "milliseconds per 1,000 users",
        curves.Select(c => new Series(c.Label, c.Points.Select(p => p.Calls).ToArray(), c.Points.Select(p => p.Ms).ToArray())), markers: true);
    latencyFigure.Layout["xaxis"]!["type"] = "log";
    display(HTML(Plots.Html(latencyFigure)));
    foreach (var (model, probe, values) in probed.Where(p => p.Probe == "redraw"))
    {
        Console.WriteLine($"{model}: another draw agrees on {values["Jaccard@10"]:P1} of the top 10 (mean Jaccard); NDCG@10 {values["NDCG@10"]:F4} against {next.Rows.Single(r => r.Model == model).Metrics["NDCG@10"].Estimate:F4}");
        ResultsChannel.Record($"redraw_jaccard_{Key(model)}", values["Jaccard@10"]);
    }
    foreach (var (label, points) in curves.Where(c => c.Points.Length > 1))
        ResultsChannel.Record($"ndcg_range_{Key(label)}", points.Max(p => p.Ndcg) - points.Min(p => p.Ndcg));
}
""")

md(r"""
## Summary

- A fair comparison fixes the split, the protocol, the training and budget rule and the seeds, and compares models
  on the same users. `reprodiff compare` does this through the one experiment runner of the paper chapters.
- Two uncertainties matter: over seeds (t-interval; wide with three seeds) and over users (bootstrap). Paired tests
  on per-user values are far more sensitive than overlapping intervals, and Holm's correction keeps 36 pairs honest.
- Beyond accuracy, the models differ in how much of the catalogue they show, how concentrated their exposure is and
  how popular their recommendations are; the cost columns put training time, latency and memory beside accuracy.
- On clean ML-1M (Section 6 prints the numbers; the notebook tests check these statements against them): the
  time-aware T-DiffRec and LT-DiffRec lead; EASE, a closed-form linear model (its whole λ grid fitted in under a minute), ranks above DiffRec,
  MultVAE and L-DiffRec; LightGCN did not converge within the 10-minute budget (each epoch propagates the whole graph
  for every batch) and is labelled budgeted; most-popular is the floor.
- DAE, DiffRec's own network trained without its diffusion (no Gaussian noise, one step), is inside DiffRec's seed
  interval on clean ML-1M (Section 6 prints both) and ranks users in a 25th of the time: the diffusion adds little
  that the input dropout does not already give.
- A user-level paired test on seed-averaged models is not a statement about training runs: keep the seed intervals
  beside it.
- Next item on Beauty at equal training time (30 minutes per seed; Section 7: three seeds of GRU4Rec, SASRec,
  SeqDiffRec, DiffuRec and most-popular):
  GRU4Rec and SASRec rank first, far above most-popular; DiffuRec is level with most-popular (not separated over
  users), SeqDiffRec below it; DiffuRec's ranking does not depend on the draw or the number of reverse steps,
  SeqDiffRec's changes with every draw.

## Exercises

Each exercise has its solution under it; `solutions/04-comparison-solutions.ipynb` works them out with code on the
committed comparison (the test suite runs it).

1. **Pairing.** The cell of Section 2 also breaks the pairing (most-popular's per-user values shuffled over users:
   same mean, same spread) and tests again. Why does the p-value change, and in which direction must it tend?
   *Solution.* Shuffling leaves both means unchanged but adds the between-user variation (some users are easy for
   every model, some hard) to the differences $d_u$, so the test sees a noisier difference and its p-value grows (the
   cell prints both). For two models this far apart both p-values are still tiny; pairing matters most for close
   models, where the same extra variation can hide a real difference.
2. **Holm by hand.** Take the 36 raw p-values of `report.Significance` and apply Holm's rule in a few lines; compare
   with `PHolm`. *Solution.* Sort ascending, multiply the $k$-th by $36-k+1$, take the running maximum, cap at 1; the
   values equal `Statistics.Holm`.
3. **Seeds.** With three seeds, $t_{0.975,2}=4.30$. How many seeds would halve the interval's half-width for the
   same standard deviation? *Solution.* The half-width is $t_{0.975,n-1}s/\sqrt n$: $n=3$ gives $4.303s/\sqrt3=2.48s$, half
   of it is $1.24s$, and $n=5$ gives $2.776s/\sqrt5=1.24s$: five seeds, not the twelve that $1/\sqrt n$ alone would ask
   for, because the $t$ quantile falls too ($n=4$ gives $1.59s$).
4. **EASE's λ.** Refit EASE with $\lambda\in\{10, 100, 1000, 10000\}$ and print validation Recall@20 for each. What
   does a very small λ do to $B$? *Solution.* A small λ lets $B$ approach the least-squares fit of $X$ on itself
   (without the diagonal), which over-fits rare co-occurrences with large weights; a very large λ shrinks every weight
   towards 0, and what remains ranks items mostly by co-occurrence counts, close to popularity. The committed run
   chose λ = 1000 from the grid 10–5,000 (its stop reason), so both ends validated worse on this split.
5. **Coverage.** Most-popular's coverage@20 is tiny by construction. Which model shows the most of the catalogue, and
   is it the most accurate? *Solution.* Section 6 prints the model with the widest coverage@20 beside the most accurate
   one; when they differ, coverage is bought with accuracy (the coverage chart of Section 4 shows the trade-off).
""")

notebook.write("04-comparison.ipynb")
