using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Reproduction;
using ReproDiff.Training;
using TorchSharp;

namespace ReproDiff.Tests.Reproduction;

/// <summary>The one experiment loop, on a study whose "training" is arithmetic: cells, verdicts, budgets, resuming.</summary>
public class ExperimentTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("reprodiff-experiment-").FullName;
    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>Model A scores HR@10 = seed / 10 under "p1"; the paper reports 0.2 for A; B has no reference. Fails on a chosen seed.</summary>
    sealed class FakeStudy : Study
    {
        public readonly List<(string Model, int Seed)> Fits = [];
        public int? FailOnSeed;
        public bool StopByBudget;
        /// <summary>Analyse tests (as the comparison does); every trial then has one probe, "redraw".</summary>
        public bool Analyse;
        public override Func<Evaluator.TopLists, TestAnalysis>? Analysis(object data, EvaluationProtocol protocol) => !Analyse ? null :
            lists => new TestAnalysis(new Dictionary<string, double[]>(), new Dictionary<string, double> { ["Users"] = lists.ByUser.Count });
        static readonly EvaluationProtocol P1 = EvaluationProtocol.Standard with { Name = "p1", Metrics = ["HR"], Ks = [10] };
        static readonly EvaluationProtocol P2 = EvaluationProtocol.Standard with { Name = "p2", Metrics = ["HR"], Ks = [10] };
        /// <summary>The study's name, and whether it tests under p1 alone (a study that runs fewer protocols).</summary>
        public string Name = "fake";
        public bool FirstProtocolOnly;
        /// <summary>The study whose runs of A this one imports (none by default).</summary>
        public string? ImportsFrom;
        public override string Paper => Name;
        public override bool Imports(string paper, string model) => paper == ImportsFrom && model == "A";
        public override IReadOnlyList<string> Models => ["A", "B"];
        public override IReadOnlyList<string> Datasets => ["d"];
        public override IReadOnlyList<EvaluationProtocol> Protocols => FirstProtocolOnly ? [P1] : [P1, P2];
        public override IReadOnlyList<(string Metric, int K)> Cells(EvaluationProtocol protocol) => [("HR", 10)];
        public override IReadOnlyList<string> ProgressMetrics => ["HR@10"];
        public override object Load(DataRoot root, string dataset, string profile) => dataset;
        public override TrainingOptions Training(string model, string profile, TimeSpan? budget) =>
            profile is "quick" or "full" ? new() { MaxEpochs = 1, TimeBudget = budget } : throw new ReproDiffException($"--profile {profile}");
        public override Reference? Find(string model, string dataset, EvaluationProtocol protocol, string metric, int k) =>
            model == "A" && protocol.Name == "p1" ? new Reference("Table 1", 0.2) : null;
        public override Trial Create(string model, string dataset, object data, torch.Device device) => new FakeTrial(this, model);

        sealed class FakeTrial(FakeStudy study, string model) : Trial
        {
            int seed;
            public override long ParameterCount => 7;
            public override TrainingReport Fit(TrainingOptions training, IProgress<EpochReport>? progress, CancellationToken cancel, int seed)
            {
                if (seed == study.FailOnSeed) throw new InvalidOperationException("killed");
                this.seed = seed;
                study.Fits.Add((model, seed));
                return new TrainingReport([], 1, null, study.StopByBudget ? "time budget (1 min)" : "max epochs", TimeSpan.Zero);
            }
            public override IReadOnlyList<(string Model, Func<Action<long[], int[,]>?, MetricSet> Test)> Test(EvaluationProtocol protocol) =>
                [(model, onTop =>
                {
                    onTop?.Invoke([0, 1], new[,] { { 1, 2 }, { 3, 4 } });
                    return new MetricSet(new Dictionary<string, double> { ["HR@10"] = seed / 10.0 + (protocol.Name == "p2" ? 1 : 0) }, protocol, 1);
                })];
            /// <summary>Another draw: user 0's list is the same, user 1's shares one of three items.</summary>
            public override IReadOnlyList<Probe> Probes(string row, EvaluationProtocol protocol) =>
            [
                new("redraw", onTop =>
                {
                    onTop?.Invoke([0, 1], new[,] { { 2, 1 }, { 3, 5 } });
                    return new MetricSet(new Dictionary<string, double> { ["HR@10"] = 0.5 }, protocol, 1);
                }),
            ];
            public override void Dispose() { }
        }
    }

    ReproductionResult Run(FakeStudy study, int[] seeds, string? output = null, bool resume = false, string profile = "full", TimeSpan? budget = null) =>
        Experiment.Run(study, ["A", "B"], ["d"], profile, seeds, DataRoot.Resolve(folder), "cpu", "test", output: output, resume: resume, budget: budget);

    [Fact]
    public void Cells_are_the_mean_over_seeds_per_row_and_protocol_with_verdicts_against_the_reference()
    {
        var r = Run(new FakeStudy(), [1, 2, 3]);
        Assert.Equal(6, r.Runs.Count);
        Assert.Equal(4, r.Cells.Count);                      // 2 models × 2 protocols × HR@10
        var a1 = r.Cells.Single(c => c.Model == "A" && c.Protocol.StartsWith("p1"));
        Assert.Equal(0.2, a1.OursMean, 6);
        Assert.Equal(new[] { 0.1, 0.2, 0.3 }, a1.PerSeed);
        Assert.Equal("reproduced", a1.Verdict);
        Assert.Equal("Table 1", a1.Table);
        var a2 = r.Cells.Single(c => c.Model == "A" && c.Protocol.StartsWith("p2"));
        Assert.Equal(1.2, a2.OursMean, 6);
        Assert.Equal("no reference", a2.Verdict);
    }

    [Fact]
    public void Probes_of_an_analysed_test_become_measures_of_its_row()
    {
        var plain = Run(new FakeStudy(), [1]);
        Assert.All(plain.Runs.SelectMany(r => r.Results!), t => Assert.Null(t.Measures));   // no analysis, no probes run
        var r = Run(new FakeStudy { Analyse = true }, [1]);
        var m = r.Runs[0].Results![0].Measures!;
        Assert.Equal(2, m["Users"]);
        Assert.Equal(0.5, m["redraw: HR@10"]);
        Assert.Equal(Math.Round((1 + 1 / 3.0) / 2, 5), m["redraw: Jaccard@10"]);          // {1,2} vs {2,1}: 1; {3,4} vs {3,5}: 1/3
        Assert.True(m.ContainsKey("redraw: ms/1,000 users"));
    }

    [Fact]
    public void A_budget_stopped_row_says_not_converged_and_quick_runs_are_not_judged()
    {
        var budgeted = Run(new FakeStudy { StopByBudget = true }, [1, 2, 3], budget: TimeSpan.FromMinutes(1));
        Assert.Equal("reproduced (not converged: stopped by the time budget)", budgeted.Cells.Single(c => c.Model == "A" && c.Protocol.StartsWith("p1")).Verdict);
        var quick = Run(new FakeStudy(), [1], profile: "quick");
        Assert.Equal(ReproDiff.Reporting.ResultRow.NotJudged, quick.Cells.Single(c => c.Model == "A" && c.Protocol.StartsWith("p1")).Verdict);
    }

    [Fact]
    public void An_interrupted_run_resumes_from_its_partial_file_and_reuses_only_matching_seeds()
    {
        var output = Path.Combine(folder, "out.json");
        var study = new FakeStudy { FailOnSeed = 2 };
        Assert.Throws<InvalidOperationException>(() => Run(study, [1, 2], output));
        Assert.False(File.Exists(output), "no final file before the run finishes");
        Assert.Single(ReproductionJson.Load(output + ".partial").Runs);   // A seed 1 was saved as it finished

        var resumed = new FakeStudy();
        var r = Run(resumed, [1, 2], output, resume: true);
        Assert.Equal([("A", 2), ("B", 1), ("B", 2)], resumed.Fits);         // A seed 1 reused, not retrained
        Assert.Equal(4, r.Runs.Count);
        Assert.True(File.Exists(output));
        Assert.False(File.Exists(output + ".partial"), "the partial file is removed once the output is written");

        var again = new FakeStudy();
        Run(again, [1, 2], output, resume: true);                             // everything reused from the output itself
        Assert.Empty(again.Fits);
        var fresh = new FakeStudy();
        Run(fresh, [1, 2], Path.Combine(folder, "other.json"));
        Assert.Equal(4, fresh.Fits.Count);
    }

    [Fact]
    public void A_study_its_caller_calls_incomplete_stays_under_the_partial_name()
    {
        var output = Path.Combine(folder, "incomplete.json");
        var first = Experiment.Run(new FakeStudy(), ["A"], ["d"], "full", [1], DataRoot.Resolve(folder), "cpu", "test", output: output,
            complete: r => r.Runs.Any(x => x.Model == "B"));
        Assert.Single(first.Runs);
        Assert.False(File.Exists(output), "no final file while the caller says the study lacks runs");
        Assert.Single(ReproductionJson.Load(output + ".partial").Runs);

        var rest = new FakeStudy();
        Experiment.Run(rest, ["B"], ["d"], "full", [1], DataRoot.Resolve(folder), "cpu", "test", output: output, resume: true,
            complete: r => r.Runs.Any(x => x.Model == "B"));
        Assert.Equal([("B", 1)], rest.Fits);                                                  // A's seed resumed from the partial file
        Assert.Equal(2, ReproductionJson.Load(output).Runs.Count);
        Assert.False(File.Exists(output + ".partial"), "the partial file goes once the study is complete");
    }

    [Fact]
    public void Resuming_with_another_profile_or_budget_is_refused_and_the_earlier_runs_are_untouched()
    {
        var output = Path.Combine(folder, "budgeted.json");
        Run(new FakeStudy(), [1], output, budget: TimeSpan.FromMinutes(30));
        var before = File.ReadAllText(output);
        foreach (var (profile, budget, says) in new (string, TimeSpan?, string)[]
                 {
                     ("full", null, "holds runs with a budget of 30 min (A seed 1); resuming it with no budget would drop them. Give --budget-minutes 30"),
                     ("full", TimeSpan.FromMinutes(10), "resuming it with a budget of 10 min would drop them"),
                     ("quick", TimeSpan.FromMinutes(30), "holds full-profile runs; resuming it with --profile quick would drop them"),
                 })
        {
            var study = new FakeStudy();
            var e = Assert.Throws<ReproDiffException>(() => Run(study, [2], output, resume: true, profile: profile, budget: budget));
            Assert.Contains(says, e.Message);
            Assert.Empty(study.Fits);                                                         // refused before any training
            Assert.Equal(before, File.ReadAllText(output));
        }
        var quickFile = Path.Combine(folder, "quick.json");
        Run(new FakeStudy(), [1], quickFile, profile: "quick");
        var full = new FakeStudy();
        Run(full, [1], quickFile, resume: true);                                               // quick runs are smoke tests: replaced
        Assert.Equal(2, full.Fits.Count);
        Assert.Equal("full", ReproductionJson.Load(quickFile).Profile);
        var same = new FakeStudy();
        Assert.Equal(4, Run(same, [2], output, resume: true, budget: TimeSpan.FromMinutes(30)).Runs.Count);   // the same budget extends it
        Assert.Equal(2, same.Fits.Count);
    }

    [Fact]
    public void Resuming_with_fewer_models_or_other_seeds_extends_the_earlier_study()
    {
        var output = Path.Combine(folder, "grow.json");
        Run(new FakeStudy(), [1], output);                                                   // A and B, seed 1
        var more = new FakeStudy();
        var r = Experiment.Run(more, ["B"], ["d"], "full", [2, 3], DataRoot.Resolve(folder), "cpu", "test", output: output, resume: true);
        Assert.Equal([("B", 2), ("B", 3)], more.Fits);                                       // only the new seeds train
        Assert.Equal([("A", 1), ("B", 1), ("B", 2), ("B", 3)], r.Runs.Select(x => (x.Model, x.Seed)).ToList());   // A's seed 1 kept, in model order
        Assert.Equal(new[] { 1, 2, 3 }, r.Cells.First(c => c.Model == "B").Seeds);
        Assert.Equal(4, ReproductionJson.Load(output).Runs.Count);
        var plain = Experiment.Run(new FakeStudy(), ["B"], ["d"], "full", [1], DataRoot.Resolve(folder), "cpu", "test", output: Path.Combine(folder, "plain.json"));
        Assert.Single(plain.Runs);                                                            // without --resume only what was asked
    }

    [Fact]
    public void Runs_of_a_study_that_trains_alike_are_imported_instead_of_trained()
    {
        var source = Path.Combine(folder, "other.runs.json");
        var thirty = TimeSpan.FromMinutes(30);
        Experiment.Run(new FakeStudy { Name = "other", FirstProtocolOnly = true, Analyse = true }, ["A", "B"], ["d"], "full", [1, 2], DataRoot.Resolve(folder), "cpu", "other",
            output: source, budget: thirty);
        var output = Path.Combine(folder, "importing.json");
        var study = new FakeStudy { ImportsFrom = "other" };
        var r = Experiment.Run(study, ["A", "B"], ["d"], "full", [1, 2, 3], DataRoot.Resolve(folder), "cpu", "test", output: output, budget: thirty, imports: [source]);
        Assert.Equal([("A", 3), ("B", 1), ("B", 2), ("B", 3)], study.Fits);                 // A's seeds 1-2 taken, B never (not importable)
        var taken = r.Runs.Where(x => x.ImportedFrom is not null).ToList();
        Assert.Equal([("A", 1), ("A", 2)], taken.Select(x => (x.Model, x.Seed)).ToList());
        Assert.All(taken, x => Assert.EndsWith("other.runs.json", x.ImportedFrom));
        Assert.All(taken.SelectMany(x => x.Results!), t => Assert.True(t.PerUser is null && t.Measures is null));   // they stay in their own file
        Assert.Equal([0.1, 0.2, 0.3], r.Cells.Single(c => c.Model == "A" && c.Protocol.StartsWith("p1")).PerSeed);
        Assert.Equal([3], r.Cells.Single(c => c.Model == "A" && c.Protocol.StartsWith("p2")).Seeds); // the other study never tested under p2
        Assert.Equal(2, ReproductionJson.Load(output).Runs.Count(x => x.ImportedFrom is not null));
        // another budget takes nothing; a study that imports nothing from the file, or a missing file, is refused before any work
        var unbudgeted = new FakeStudy { ImportsFrom = "other" };
        Experiment.Run(unbudgeted, ["A"], ["d"], "full", [1], DataRoot.Resolve(folder), "cpu", "test", imports: [source]);
        Assert.Equal([("A", 1)], unbudgeted.Fits);
        foreach (var (refused, file, says) in new[] { (new FakeStudy(), source, "fake takes no runs of A, B from other"), (new FakeStudy { ImportsFrom = "other" }, Path.Combine(folder, "none.json"), "none.json: file not found") })
        {
            var e = Assert.Throws<ReproDiffException>(() => Experiment.Run(refused, ["A", "B"], ["d"], "full", [1], DataRoot.Resolve(folder), "cpu", "test", budget: thirty, imports: [file]));
            Assert.Contains("--import", e.Message);
            Assert.Contains(says, e.Message);
            Assert.Empty(refused.Fits);
        }
    }

    [Fact]
    public void A_study_imports_its_own_committed_runs_and_keeps_where_an_imported_run_was_trained()
    {
        var thirty = TimeSpan.FromMinutes(30);
        var other = Path.Combine(folder, "other.runs.json");
        Experiment.Run(new FakeStudy { Name = "other" }, ["A"], ["d"], "full", [1], DataRoot.Resolve(folder), "cpu", "other", output: other, budget: thirty);
        var committed = Path.Combine(folder, "committed.json");
        Experiment.Run(new FakeStudy { ImportsFrom = "other", Analyse = true }, ["A", "B"], ["d"], "full", [1, 2], DataRoot.Resolve(folder), "cpu", "test",
            output: committed, budget: thirty, imports: [other]);
        // a re-run of the committed study (a notebook's full profile) takes every seed it holds, of any model, without declaring it
        var again = new FakeStudy { Analyse = true };
        var r = Experiment.Run(again, ["A", "B"], ["d"], "full", [1, 2, 3], DataRoot.Resolve(folder), "cpu", "notebook",
            output: Path.Combine(folder, "again.json"), budget: thirty, imports: [committed]);
        Assert.Equal([("A", 3), ("B", 3)], again.Fits);                                       // only the seed the file lacks is trained
        var taken = r.Runs.Where(x => x.ImportedFrom is not null).ToDictionary(x => (x.Model, x.Seed), x => x.ImportedFrom!);
        Assert.Equal(4, taken.Count);
        Assert.EndsWith("other.runs.json", taken[("A", 1)]);                                  // trained by the other study: its file
        Assert.All(new[] { ("A", 2), ("B", 1), ("B", 2) }, k => Assert.EndsWith("committed.json", taken[k]));
        // the study's own runs keep their measures (a comparison's paired tests need them); the other study's were never here
        Assert.All(r.Runs.Where(x => x.ImportedFrom?.EndsWith("committed.json") == true).SelectMany(x => x.Results!), t => Assert.NotNull(t.Measures));
        Assert.All(r.Runs.Single(x => (x.Model, x.Seed) == ("A", 1)).Results!, t => Assert.Null(t.Measures));
        // another budget takes nothing from it
        var unbudgeted = new FakeStudy();
        Experiment.Run(unbudgeted, ["A"], ["d"], "full", [1], DataRoot.Resolve(folder), "cpu", "test", imports: [committed]);
        Assert.Equal([("A", 1)], unbudgeted.Fits);
    }

    [Fact]
    public void A_bf16_study_records_its_precision_and_never_resumes_into_fp32_results()
    {
        if (!Flops.CpuHasBf16()) return; // bf16 is refused on such a CPU (MixedPrecisionTests)
        var output = Path.Combine(folder, "precision.json");
        Run(new FakeStudy(), [1], output);
        var before = File.ReadAllText(output);
        Assert.DoesNotContain("precision", before);                                           // fp32 files are as before
        var mixed = new FakeStudy();
        var e = Assert.Throws<ReproDiffException>(() => Experiment.Run(mixed, ["A"], ["d"], "full", [2], DataRoot.Resolve(folder), "cpu", "test",
            output: output, resume: true, precision: ReproDiff.Runtime.Precision.Bf16));
        Assert.Contains("holds fp32 runs", e.Message);
        Assert.Empty(mixed.Fits);                                                              // refused before any training
        Assert.Equal(before, File.ReadAllText(output));                                        // and the fp32 results untouched
        var bf16 = new FakeStudy();
        var r = Experiment.Run(bf16, ["A", "B"], ["d"], "full", [1], DataRoot.Resolve(folder), "cpu", "test", output: Path.Combine(folder, "bf16.json"),
            precision: ReproDiff.Runtime.Precision.Bf16);
        Assert.All(r.Runs, x => Assert.Equal("bf16", x.Precision));
        Assert.All(ReproductionJson.Load(Path.Combine(folder, "bf16.json")).Runs, x => Assert.Equal("bf16", x.Precision));
    }

    [Fact]
    public void Bad_options_fail_before_any_training_naming_the_option()
    {
        var study = new FakeStudy();
        Assert.Contains("--model C", Assert.Throws<ReproDiffException>(() => Experiment.Run(study, ["C"], ["d"], "full", [1], DataRoot.Resolve(folder), "cpu", "t")).Message);
        Assert.Contains("--dataset e", Assert.Throws<ReproDiffException>(() => Experiment.Run(study, ["A"], ["e"], "full", [1], DataRoot.Resolve(folder), "cpu", "t")).Message);
        Assert.Contains("--seeds", Assert.Throws<ReproDiffException>(() => Experiment.Run(study, ["A"], ["d"], "full", [1, 1], DataRoot.Resolve(folder), "cpu", "t")).Message);
        Assert.Contains("--profile", Assert.Throws<ReproDiffException>(() => Experiment.Run(study, ["A"], ["d"], "slow", [1], DataRoot.Resolve(folder), "cpu", "t")).Message);
        Assert.Empty(study.Fits);
    }
}
