using System.Text.Json;
using ReproDiff.Runtime;

namespace ReproDiff.Tests.Training;

/// <summary>
/// The README's one-session speed table (issue 16) against its recorded measurements, bench/results/2026-12-03-one-session.jsonl
/// (the bench JSON lines of that session, each with its command and build). Nothing is timed here: the claims are read
/// off the record, with the margins the text gives. Later records (bf16 loss shapes, one thread against two) each have a test below.
/// </summary>
public class BenchRecordTests
{
    sealed record Line(string Run, string Build, string Model, string Precision, double SecondsPerEpoch, double PeakMb, double TrainShare);

    /// <summary>The JSON lines of a record in bench/results.</summary>
    static IEnumerable<JsonElement> Record(string file) =>
        File.ReadLines(Path.Combine(RepositoryLocator.FindRoot()!, "bench", "results", file)).Select(l => JsonDocument.Parse(l).RootElement);

    static readonly List<Line> Lines = Record("2026-12-03-one-session.jsonl")
        .Select(e => new Line(e.GetProperty("run").GetString()!, e.GetProperty("build").GetString()!, e.GetProperty("model").GetString()!,
            e.GetProperty("precision").GetString()!, e.GetProperty("sec_per_epoch_median").GetDouble(), e.GetProperty("peak_rss_mb").GetDouble(),
            e.GetProperty(e.GetProperty("precision").GetString() == "bf16" ? "train_share_of_bf16_matmul" : "train_share_of_fp32_matmul").GetDouble()))
        .ToList();

    static IEnumerable<Line> Table(string model, string precision) =>
        Lines.Where(l => l.Model == model && l.Precision == precision && l.Build.Contains("the table", StringComparison.Ordinal));

    [Fact]
    public void Bf16_trains_every_model_but_SASRec_at_least_1_2_times_faster_and_SASRec_slower()
    {
        string[] models = ["DiffRec", "L-DiffRec", "MultVAE", "SASRec", "GRU4Rec", "SeqDiffRec", "DiffuRec"];
        foreach (var model in models)
        {
            var fp32 = Table(model, "fp32").Select(l => l.SecondsPerEpoch).ToList();
            var bf16 = Table(model, "bf16").Single().SecondsPerEpoch;
            Assert.NotEmpty(fp32);
            if (model == "SASRec") Assert.True(bf16 > 1.5 * fp32.Max(), $"SASRec: bf16 {bf16} s against fp32 {string.Join(", ", fp32)}");
            else Assert.True(fp32.Min() / bf16 is >= 1.2 and <= 2.5, $"{model}: fp32 {string.Join(", ", fp32)} s against bf16 {bf16}");
        }
        // "bf16 training reaches 5–33% of the calibrated bf16 rate"
        Assert.All(models, m => Assert.InRange(Table(m, "bf16").Single().TrainShare, 0.04, 0.34));
    }

    [Fact]
    public void The_fp32_training_targets_of_issue_16_are_not_met_in_this_session()
    {
        // the README states the shares as measured: below the 60% target for DiffRec, L-DiffRec and SASRec
        foreach (var model in new[] { "DiffRec", "L-DiffRec", "SASRec" })
            Assert.All(Table(model, "fp32"), l => Assert.True(l.TrainShare < 0.60, $"{model}: {l.TrainShare}"));
    }

    [Fact]
    public void The_blocked_item_cross_entropy_saved_memory_but_not_time()
    {
        foreach (var model in new[] { "SASRec", "GRU4Rec" })
        {
            var before = Lines.Where(l => l.Model == model && l.Precision == "fp32" && l.Run.StartsWith("rnn-old", StringComparison.Ordinal)).ToList();
            var blocked = Lines.Where(l => l.Model == model && l.Precision == "fp32" && l.Run.StartsWith("rnn-new", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, before.Count);
            Assert.Equal(2, blocked.Count);
            Assert.True(blocked.Min(l => l.SecondsPerEpoch) > 0.97 * before.Min(l => l.SecondsPerEpoch), $"{model}: no speed-up");
            Assert.True(blocked.Max(l => l.PeakMb) < 0.7 * before.Min(l => l.PeakMb), $"{model}: lower peak memory");
        }
        var gru = Lines.Where(l => l.Model == "GRU4Rec" && l.Precision == "bf16").ToDictionary(l => l.Run);
        Assert.True(gru["rnn-new1-bf16"].SecondsPerEpoch > 1.3 * gru["rnn-old1-bf16"].SecondsPerEpoch);   // "made GRU4Rec's bf16 epoch slower"
    }

    [Fact]
    public void Bf16_loss_rows_rounded_up_stop_the_kernel_caches_growing_without_slowing_training()
    {
        // bench/results/2026-12-03-bf16-shapes.jsonl: six bf16 epochs each, alone, one session (environment/README.md, "bf16")
        var runs = Record("2026-12-03-bf16-shapes.jsonl")
            .ToDictionary(e => e.GetProperty("run").GetString()!, e => (Seconds: e.GetProperty("sec_per_epoch_median").GetDouble(), PeakMb: e.GetProperty("peak_rss_mb").GetDouble()));
        foreach (var model in new[] { "sasrec", "gru" })
        {
            var (old, rounded) = (runs[$"{model}-old"], runs[$"{model}-new"]);
            Assert.True(rounded.PeakMb < 0.6 * old.PeakMb, $"{model}: peak {rounded.PeakMb} MB rounded against {old.PeakMb}");
            Assert.True(rounded.Seconds < 1.1 * old.Seconds, $"{model}: {rounded.Seconds} s per epoch rounded against {old.Seconds}");
        }
        // the old code with oneDNN's and ideep's shape caches capped at 16 entries peaks as low: the caches were the growth
        Assert.True(runs["sasrec-old-cache16"].PeakMb < 0.6 * runs["sasrec-old"].PeakMb);
    }

    [Fact]
    public void On_one_thread_training_reaches_the_target_within_a_point_and_the_second_core_gains_less_than_the_calibration()
    {
        // bench/results/2026-12-04-threads.jsonl: --threads 2 and --threads 1 alternated, alone (bench/README.md, "One core against two")
        var runs = Record("2026-12-04-threads.jsonl")
            .Select(e => (Run: e.GetProperty("run").GetString()!, Model: e.GetProperty("model").GetString()!, Threads: e.GetProperty("threads").GetInt32(),
                Seconds: e.GetProperty("sec_per_epoch_median").GetDouble(), Share: e.GetProperty("train_share_of_fp32_matmul").GetDouble(),
                Calibration: e.GetProperty("matmul_fp32_gflops").GetDouble()))
            .ToList();
        foreach (var (model, rounds, oneThreadShare) in new[] { ("DiffRec", 3, 0.60), ("L-DiffRec", 3, 0.60), ("SASRec", 2, 0.585) })
        {
            var one = runs.Where(r => r.Model == model && r.Threads == 1).ToList();
            var two = runs.Where(r => r.Model == model && r.Threads == 2).ToList();
            Assert.Equal((rounds, rounds), (one.Count, two.Count));
            Assert.All(one, r => Assert.True(r.Share >= oneThreadShare, $"{model}, one thread: {r.Share}"));          // "reach the training target or come within a point of it" (SASRec 59–60%)
            if (model != "DiffRec") Assert.All(two, r => Assert.True(r.Share < 0.60, $"{model}, two threads: {r.Share}")); // "not met at two threads"
            var pairs = one.Select(o => (o, t: two.Single(r => r.Run[..2] == o.Run[..2]))).ToList();                  // pairs of the same round
            var gains = pairs.Select(p => p.o.Seconds / p.t.Seconds).Order().ToList();
            var calibrationGains = pairs.Select(p => p.t.Calibration / p.o.Calibration).Order().ToList();
            Assert.All(gains, g => Assert.InRange(g, 1.3, 1.75));                                                           // the models gain 1.4–1.7×
            Assert.All(calibrationGains, g => Assert.InRange(g, 1.6, 2.6));                                                 // the product 1.7–2.5× within a round
            Assert.True(gains[gains.Count / 2] < calibrationGains[calibrationGains.Count / 2] - 0.3,                     // medians: the models gain less
                $"{model}: median gain {gains[gains.Count / 2]} against the product's {calibrationGains[calibrationGains.Count / 2]}");
        }
    }

    [Fact]
    public void Two_one_thread_copies_at_once_gain_more_from_the_second_core_than_one_run_at_two_threads()
    {
        // bench/results/2026-12-04-pairs.jsonl: per model and round, one copy alone at one thread, two copies at once (pairA, pairB),
        // one run at two threads (bench/README.md, "Two copies at once")
        var runs = Record("2026-12-04-pairs.jsonl")
            .Select(e => (Run: e.GetProperty("run").GetString()!, Model: e.GetProperty("model").GetString()!, Threads: e.GetProperty("threads").GetInt32(),
                Seconds: e.GetProperty("sec_per_epoch_median").GetDouble()))
            .ToList();
        var rounds = runs.GroupBy(r => (r.Model, Round: r.Run.Split('-')[0])).ToList();
        Assert.Equal(7, rounds.Count);                                                                  // DiffRec, L-DiffRec, SASRec twice; DiffuRec once
        foreach (var g in rounds)
        {
            double Seconds(string kind) => g.Single(r => r.Run.EndsWith(kind, StringComparison.Ordinal)).Seconds;
            var alone = Seconds("alone-t1");
            Assert.All(g.Where(r => r.Run.Contains("pair", StringComparison.Ordinal) || r.Run.EndsWith("alone-t1", StringComparison.Ordinal)), r => Assert.Equal(1, r.Threads));
            Assert.Equal(2, g.Single(r => r.Run.EndsWith("alone-t2", StringComparison.Ordinal)).Threads);
            var pair = alone / Seconds("pairA-t1") + alone / Seconds("pairB-t1");                      // the two copies' epochs per alone-epoch
            var twoThreads = alone / Seconds("alone-t2");
            Assert.InRange(pair, 1.75, 2.05);                                                           // "1.8-2.0x" (1.79-2.02)
            Assert.InRange(twoThreads, 1.3, 1.75);                                                      // "1.3-1.7x"
            Assert.True(twoThreads < pair - 0.15, $"{g.Key}: two threads {twoThreads:F2}x against the pair's {pair:F2}x");
        }
    }

    [Fact]
    public void No_split_of_a_DiffRec_step_beats_libtorchs_own_reliably_and_independent_work_gains_little_more()
    {
        // bench/results/2026-12-04-parallel-schemes.jsonl: ParallelSchemesBench, four BenchmarkDotNet runs (bench/README.md, "Ways to split one step")
        var rows = Record("2026-12-04-parallel-schemes.jsonl")
            .Select(e => (Run: e.GetProperty("run").GetInt32(), Scheme: e.GetProperty("scheme").GetString()!, Mean: e.GetProperty("mean_ms").GetDouble()))
            .ToList();
        var runs = rows.GroupBy(r => r.Run).Select(g => g.ToDictionary(r => r.Scheme, r => r.Mean)).ToList();
        Assert.Equal(4, runs.Count);
        foreach (var r in runs)
        {
            var intra = r["intra-op"];
            Assert.InRange(r["draws ahead"] / intra, 0.9, 1.11);                        // "8% less to 10% more"
            Assert.InRange(r["halves"] / intra, 0.93, 1.14);                            // "5% less to 13% more"
            var intraGain = r["one thread"] / intra;
            var independentGain = 2 * r["one thread"] / r["two steps at once"];
            Assert.InRange(intraGain, 1.55, 1.7);                                       // "1.60-1.69x"
            Assert.InRange(independentGain, 1.65, 1.95);                                // "1.71-1.94x"
            Assert.InRange(independentGain / intraGain, 1.0, 1.16);                     // "2-7% more than libtorch's split, 15% in run 4"
        }
        Assert.Contains(runs, r => r["draws ahead"] > r["intra-op"]);                   // not reliably faster
        Assert.Contains(runs, r => r["halves"] > r["intra-op"]);
    }

    [Fact]
    public void Two_whole_steps_at_once_gain_more_than_libtorchs_split_and_halves_of_one_step_do_not()
    {
        // bench/results/2026-12-04-independent-steps.jsonl: IndependentStepsBench, three runs (bench/README.md, "The same ceiling for the library's whole steps")
        var rows = Record("2026-12-04-independent-steps.jsonl")
            .Select(e => (Run: e.GetProperty("run").GetInt32(), Model: e.GetProperty("model").GetString()!, Scheme: e.GetProperty("scheme").GetString()!,
                Mean: e.GetProperty("mean_ms").GetDouble(), Sd: e.GetProperty("stddev_ms").GetDouble()))
            .ToList();
        var cases = rows.GroupBy(r => (r.Run, r.Model)).ToList();
        Assert.Equal(6, cases.Count);                                                   // DiffRec and L-DiffRec, three runs
        foreach (var c in cases)
        {
            double Mean(string scheme) => c.Single(r => r.Scheme == scheme).Mean;
            var halves = Mean("halves, draws interleaved") / Mean("intra-op");
            Assert.InRange(halves, 0.98, 1.03);                                         // "within 3% of intra-op in every run"
        }
        var disturbed = cases.Where(c => c.Any(r => r.Sd > 0.1 * r.Mean)).Select(c => c.Key).ToList();
        Assert.Equal([(2, "L-DiffRec")], disturbed);                                    // "left out of the gains"
        foreach (var c in cases.Where(c => !disturbed.Contains(c.Key)))
        {
            double Mean(string scheme) => c.Single(r => r.Scheme == scheme).Mean;
            var split = Mean("one thread") / Mean("intra-op");
            var independent = 2 * Mean("one thread") / Mean("two steps at once");
            Assert.InRange(independent / split, 1.08, 1.19);                            // "8-18% more"
        }
    }
}
