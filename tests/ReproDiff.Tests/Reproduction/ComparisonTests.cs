using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Reproduction;
using ReproDiff.Runtime;

namespace ReproDiff.Tests.Reproduction;

/// <summary>The comparison's analysis of top-K lists and its summary of runs, on hand-made inputs.</summary>
public class ComparisonTests
{
    /// <summary>3 users × 4 items. Train: u0 {0, 1}, u1 {0, 2}, u2 {0}; test: u0 {2}, u1 {3}, u2 none.</summary>
    static InteractionDataset Tiny()
    {
        var train = SparseMatrix.FromPairs(3, 4, [0, 0, 1, 1, 2], [0, 1, 0, 2, 0]);
        var empty = SparseMatrix.FromPairs(3, 4, [], []);
        var test = SparseMatrix.FromPairs(3, 4, [0, 1], [2, 3]);
        return new InteractionDataset("tiny", 3, 4, train, empty, test);
    }

    [Fact]
    public void DaeIsDiffRecsNetworkWithoutItsDiffusion()
    {
        var preset = DiffRecOptions.Preset("diffrec-ml-1m-clean");
        var o = Comparison.Dae("diffrec-ml-1m-clean");
        Assert.Equal((0.0, 1), (o.NoiseScale, o.Steps));
        Assert.Equal(preset.Dims, o.Dims);
        Assert.Equal((preset.Dropout, preset.LearningRate, preset.BatchSize, preset.Reweight), (o.Dropout, o.LearningRate, o.BatchSize, o.Reweight));
        using var m = new DiffRec(4, o);
        Assert.Null(m.Diffusion);
        m.SetInput(Tiny());
        using var scope = TorchSharp.torch.NewDisposeScope();
        m.Denoiser.eval();
        var once = m.Denoiser.call(DiffRec.Dense(Tiny().Train, TorchSharp.torch.CPU), TorchSharp.torch.zeros(3, TorchSharp.torch.int64));
        Assert.True(once.allclose(m.Score([0, 1, 2])), "DAE scores with one pass of the MLP at step 0");
    }

    [Fact]
    public void UserItemAnalysisGivesEveryUsersValuesAndTheListMeasures()
    {
        var analyse = Comparison.UserItem.Analysis(Tiny(), EvaluationProtocol.DiffRec)!;
        var lists = new Evaluator.TopLists();
        lists.Add([0, 1, 2], new[,] { { 2, 3 }, { 1, 3 }, { 1, 2 } });   // u0 hits at rank 1, u1 at rank 2, u2 has no truth
        var a = analyse(lists);
        Assert.Equal(new[] { 1.0, 1.0, 0.0 }, a.PerUser["Recall@20"]);
        Assert.Equal(new[] { 1.0, Math.Round(1 / Math.Log2(3), 5), 0.0 }, a.PerUser["NDCG@20"]);
        Assert.Equal(3 / 4.0, a.Measures["Coverage@20"], 5);                 // items 1, 2, 3 of 4
        // exposure counts 0, 2, 2, 2 of items 0..3: Gini = Σ(2i − n − 1)c_(i) / (n Σc) = (−3·0 − 1·2 + 1·2 + 3·2) / (4 · 6)
        Assert.Equal(6 / 24.0, a.Measures["Gini@20"], 5);
        // training users per item: 3, 1, 1, 0; recommended 2, 3, 1, 3, 1, 2 → popularity (1 + 0 + 1 + 0 + 1 + 1) / 6
        Assert.Equal(4 / 6.0, a.Measures["Popularity@20"], 5);
        // u0 {2, 3}: item 3 has no users → cos 0; u1 {1, 3}: 0; u2 {1, 2}: users {0} and {1} → cos 0: diversity 1
        Assert.Equal(1, a.Measures["Diversity@10"], 5);
    }

    static SeedRun Run(string model, int seed, double[] ndcg, double seconds = 1) => new(model, "d", seed, 10, 5, "patience", 100, 2, seconds,
        new Dictionary<string, double>())
    {
        Parameters = 42, SecondsToBest = 50, PeakMemoryMb = 900,
        Results =
        [
            new TestResult(model, EvaluationProtocol.DiffRec.Name, new Dictionary<string, double>
            {
                ["Recall@10"] = ndcg.Average(), ["Recall@20"] = ndcg.Average(), ["NDCG@10"] = ndcg.Average(), ["NDCG@20"] = ndcg.Average(),
            }, seconds)
            { PerUser = new Dictionary<string, double[]> { ["NDCG@20"] = ndcg }, Measures = new Dictionary<string, double> { ["Coverage@20"] = seed / 10.0 } },
        ],
    };

    [Fact]
    public void SummaryRanksRowsGivesIntervalsAndHolmCorrectedPairedTests()
    {
        var rng = new Random(3);
        var users = 400;
        double[] Noise(double shift) => Enumerable.Range(0, users).Select(_ => Math.Clamp(rng.NextDouble() * 0.5 + shift, 0, 1)).ToArray();
        var strong1 = Noise(0.2); var strong2 = Noise(0.2);
        double[] Jitter(double[] v) => v.Select(x => x + (rng.NextDouble() - 0.5) * 0.02).ToArray();   // same users, no real difference
        var close1 = Jitter(strong1); var close2 = Jitter(strong2);
        var weak1 = Noise(0); var weak2 = Noise(0);
        var runs = new List<SeedRun> { Run("Strong", 1, strong1), Run("Strong", 2, strong2), Run("Close", 1, close1), Run("Close", 2, close2), Run("Weak", 1, weak1), Run("Weak", 2, weak2) };
        var result = new ReproductionResult(EnvironmentReport.Capture(), "test", "full", [], runs);
        var r = Comparison.Summarise(result, "user-item", "d", Comparison.UserItem);

        Assert.Equal(["Close", "Strong", "Weak"], r.Rows.Select(x => x.Model).Order());
        Assert.Equal("Weak", r.Rows[^1].Model);                              // ranked by NDCG@20
        var strong = r.Rows.Single(x => x.Model == "Strong");
        var mean = (strong1.Average() + strong2.Average()) / 2;
        Assert.Equal(mean, strong.Metrics["NDCG@20"].Estimate, 4);
        var half = Statistics.T975(1) * Math.Abs(strong1.Average() - strong2.Average()) / Math.Sqrt(2) / Math.Sqrt(2);
        Assert.Equal(half, (strong.Metrics["NDCG@20"].High - strong.Metrics["NDCG@20"].Low) / 2, 4);
        Assert.True(strong.UserBootstrap["NDCG@20"].Low < mean && mean < strong.UserBootstrap["NDCG@20"].High);
        Assert.Equal(0.15, strong.Measures["Coverage@20"].Estimate, 6);
        Assert.Equal(2500, strong.Cost.TestMsPer1000Users);                  // 1 s for 400 users
        Assert.Equal(3, r.Significance.Count);                              // three pairs
        var p = r.Significance.Select(t => t.P).ToArray();
        Assert.Equal(Statistics.Holm(p).Select(x => Math.Round(x, 6)), r.Significance.Select(t => Math.Round(t.PHolm, 6)));
        Assert.True(r.Significance.Single(t => t.A == "Strong" && t.B == "Weak" || t.A == "Weak" && t.B == "Strong").Significant);
        Assert.False(r.Significance.Single(t => new[] { t.A, t.B }.Order().SequenceEqual(["Close", "Strong"])).Significant);

        var md = Comparison.Markdown(r);
        Assert.Contains("| Strong |", md);
        Assert.Contains(FormattableString.Invariant($"{strong.Metrics["NDCG@20"].Estimate:0.0000} ± {half:0.0000}"), md);   // two seeds: mean ± half-width
        Assert.Equal("0.1234 (one seed)", Comparison.OverSeeds(new Interval(0.1234, 0.1234, 0.1234), 1));     // one seed: no interval, not "± 0"
        Assert.Contains("✓", md);
        Assert.Contains("·", md);
    }

    [Fact]
    public void ASummaryListsTheFamilysModelsAndSeedsNotYetRun()
    {
        var models = Comparison.UserItem.Models;
        var all = models.Select(m => Run(m, 1, [0.1, 0.2])).ToList();
        var complete = Comparison.Summarise(new ReproductionResult(EnvironmentReport.Capture(), "test", "full", [], all), "user-item", "d", Comparison.UserItem);
        Assert.Empty(complete.Missing!);
        Assert.DoesNotContain("Incomplete", Comparison.Markdown(complete));

        // EASE gains seeds 2 and 3; every other model lacks them, and MultVAE lacks all three.
        var runs = all.Where(r => r.Model != "MultVAE").Append(Run("EASE", 2, [0.1, 0.2])).Append(Run("EASE", 3, [0.1, 0.2])).ToList();
        var r = Comparison.Summarise(new ReproductionResult(EnvironmentReport.Capture(), "test", "full", [], runs), "user-item", "d", Comparison.UserItem);
        Assert.Contains("MultVAE seeds 1, 2, 3", r.Missing!);
        Assert.Contains("DiffRec seeds 2, 3", r.Missing!);
        Assert.DoesNotContain(r.Missing!, m => m.StartsWith("EASE", StringComparison.Ordinal));
        Assert.Equal(models.Count - 1, r.Missing!.Count);
        Assert.Contains("**Incomplete:** not yet run: DiffRec seeds 2, 3;", Comparison.Markdown(r));
    }

    [Fact]
    public void Du2023ImportsTheNextItemComparisonsRunsOfItsModelsWhichTrainAndValidateAlike()
    {
        // the grounds of the import: same training rule for every profile and budget, same validation protocol
        Assert.Same(Du2023.Protocol, Comparison.NextItem.Protocols[0]);
        Assert.Same(Du2023.Protocol, Du2023.Study.Protocols[0]);
        foreach (var model in Du2023.Models)
        {
            Assert.True(Du2023.Study.Imports(Comparison.NextItem.Paper, model), model);
            foreach (var profile in new[] { "quick", "full" })
                foreach (var budget in new TimeSpan?[] { null, TimeSpan.FromMinutes(30) })
                    Assert.Equal(Du2023.Study.Training(model, profile, budget), Comparison.NextItem.Training(model, profile, budget));
        }
        Assert.False(Du2023.Study.Imports(Comparison.NextItem.Paper, "MostPopular"));              // not a du2023 model
        Assert.False(Du2023.Study.Imports(Comparison.UserItem.Paper, "DiffuRec"));
        Assert.False(Comparison.NextItem.Imports(Du2023.Paper, "DiffuRec"));                        // one way: du2023 tests more protocols
    }

    [Fact]
    public void AModelTheStudySkipsOnADatasetIsNeitherMissingNorRunByDefault()
    {
        var study = Comparison.NextItem;
        Assert.Equal(study.Models, Comparison.DefaultModels(study, "diffurec-toys"));
        Assert.Equal(study.Models.Where(m => m != "DiffuRec"), Comparison.DefaultModels(study, "s3rec-sports"));
        Assert.NotNull(study.Skipped("DiffuRec", "s3rec-yelp"));
        Assert.Null(study.Skipped("SeqDiffRec", "s3rec-yelp"));

        ReproductionResult On(string dataset, IEnumerable<string> models) =>
            new(EnvironmentReport.Capture(), "test", "full", [], [.. models.SelectMany(m => new[] { 1, 2 }.Select(seed => Run(m, seed, [0.1, 0.2]) with { Dataset = dataset }))]);
        var withoutDiffuRec = study.Models.Where(m => m != "DiffuRec").ToList();
        Assert.Empty(Comparison.Missing(On("s3rec-sports", withoutDiffuRec), "s3rec-sports", study));
        Assert.Equal(new[] { "DiffuRec seeds 1, 2" }, Comparison.Missing(On("diffurec-toys", withoutDiffuRec), "diffurec-toys", study));
        var notRun = Comparison.NotRun(On("s3rec-sports", withoutDiffuRec), "s3rec-sports", study);
        Assert.StartsWith("DiffuRec: ", Assert.Single(notRun));
        Assert.Empty(Comparison.NotRun(On("s3rec-sports", study.Models), "s3rec-sports", study));   // run anyway: a row, not a note

        var report = Comparison.Summarise(new ReproductionResult(EnvironmentReport.Capture(), "test", "full", [], [Run("A", 1, [0.1, 0.2])]), "user-item", "d", Comparison.UserItem);
        Assert.Null(report.NotRun);
        Assert.DoesNotContain("not_run", System.Text.Json.JsonSerializer.Serialize(report, ReproductionJson.Options));
        Assert.Contains("**Not run on this dataset:** DiffuRec: too slow", Comparison.Markdown(report with { NotRun = ["DiffuRec: too slow"] }));
    }

    [Fact]
    public void ProbeMeasuresAreGroupedPerRowAndProbe()
    {
        SeedRun Probed(int seed, double jaccard)
        {
            var run = Run("Diffusion", seed, [0.1, 0.2]);
            var t = run.Results![0];
            return run with { Results = [t with { Measures = new Dictionary<string, double> { ["Coverage@20"] = 0.5, ["redraw: NDCG@10"] = 0.1, ["redraw: Jaccard@10"] = jaccard, ["steps=1: Jaccard@10"] = 0.4 } }] };
        }
        var result = new ReproductionResult(EnvironmentReport.Capture(), "test", "full", [], [Probed(1, 0.8), Probed(2, 0.9), Run("Plain", 1, [0.1, 0.1])]);
        var r = Comparison.Summarise(result, "user-item", "d", Comparison.UserItem);
        var probes = Comparison.Probes(r);
        Assert.Equal([("Diffusion", "redraw"), ("Diffusion", "steps=1")], probes.Select(x => (x.Model, x.Probe)));
        Assert.Equal(0.85, probes[0].Values["Jaccard@10"], 6);                  // mean over the two seeds
        Assert.Equal(["Jaccard@10", "NDCG@10"], probes[0].Values.Keys.Order());
        Assert.Equal(4, Comparison.ProbeFrame(r).Columns.Count);              // model, probe, Jaccard@10 and NDCG@10
        Assert.Contains("Stochastic inference", Comparison.Markdown(r));
    }
}
