using ReproDiff.Data;
using ReproDiff.Diffusion;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Reproduction;
using ReproDiff.Runtime;
using ReproDiff.Training;
using static TorchSharp.torch;

namespace ReproDiff.Tests.Models;

public class SequentialModelTests
{
    /// <summary>One planted topic of 10 items per user: with the history masked, a random ranking hits the test item in the top 10 about 20% of the time, a model that learned the topics far more often.</summary>
    static SequenceDataset Planted() => Synthetic.Sequences(new Synthetic.Options(Users: 300, Items: 60, Topics: 6, InterestsPerUser: 1, MinInteractions: 6, MaxInteractions: 10, NoiseShare: 0.05));

    static readonly EvaluationProtocol Masked = EvaluationProtocol.Standard with { Metrics = ["HR"], Ks = [10] };

    static SequenceDataset Tiny() => new("tiny", 6, [[1, 2, 3, 4], [5, 6]], [5, 1], [6, 2]);

    [Fact]
    public void Prefixes_are_every_prefix_left_padded_with_its_next_item()
    {
        var (inputs, targets) = SequenceBatches.Prefixes(Tiny(), 2, CPU);
        Assert.Equal(new long[] { 4, 2 }, inputs.shape);
        Assert.Equal(new long[] { 0, 1, 1, 2, 2, 3, 0, 5 }, inputs.data<long>().ToArray());
        Assert.Equal(new long[] { 2, 3, 4, 6 }, targets.data<long>().ToArray());
    }

    [Fact]
    public void Shifted_examples_predict_the_next_item_at_every_position()
    {
        var (inputs, targets) = SequenceBatches.Shifted(Tiny(), 3, CPU);
        Assert.Equal(new long[] { 1, 2, 3, 0, 0, 5 }, inputs.data<long>().ToArray());
        Assert.Equal(new long[] { 2, 3, 4, 0, 0, 6 }, targets.data<long>().ToArray());
    }

    [Fact]
    public void Test_histories_append_the_validation_item()
    {
        var h = SequenceBatches.Histories(Tiny(), test: true, 3, CPU);
        Assert.Equal(new long[] { 3, 4, 5, 5, 6, 1 }, h.data<long>().ToArray());
    }

    [Fact]
    public void The_last_only_block_equals_the_last_row_of_the_full_block()
    {
        TorchRuntime.Seed(3);
        using var block = new TransformerBlock(16, 4, 0.1);
        block.eval();
        var h = randn(3, 7, 16);
        var mask = DiffuRecNetwork.Mask(tensor(new long[,] { { 0, 0, 1, 2, 3, 4, 5 }, { 1, 2, 3, 4, 5, 6, 7 }, { 0, 0, 0, 0, 0, 0, 2 } }));
        var full = block.forward(h, null, lastOnly: false, queryKeep: mask)[.., -1, ..];
        var last = block.forward(h, null, lastOnly: true, queryKeep: mask)[.., -1, ..];
        Assert.True(full.allclose(last, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void DiffuRec_mask_blanks_padded_query_rows_only_as_released()
    {
        var mask = DiffuRecNetwork.Mask(tensor(new long[,] { { 0, 3, 4 } }));
        Assert.Equal(new long[] { 1, 1, 3, 1 }, mask.shape);
        Assert.Equal(new float[] { 0, 1, 1 }, mask.flatten().data<float>().ToArray());
    }

    [Fact]
    public void DiffuRec_key_masking_changes_only_histories_with_padding()
    {
        // the same weights with and without MaskPaddingKeys: a full history gives the same x̂_0, a padded one does not
        var o = new DiffuRecOptions { Hidden = 8, Blocks = 2, Heads = 2, MaxLength = 4, Lambda = 0 };
        TorchRuntime.Seed(3);
        using var released = new DiffuRec(6, o);
        TorchRuntime.Seed(3);
        using var masked = new DiffuRec(6, o with { MaskPaddingKeys = true });
        released.Network.eval(); masked.Network.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = tensor(new long[,] { { 1, 2, 3, 4 }, { 0, 0, 5, 6 } });
        var (xt, t) = (randn(2, 8), tensor(new long[] { 3, 3 }));
        var a = released.Approximator(released.Network.History(s), DiffuRecNetwork.Mask(s))(xt, t);
        var b = masked.Approximator(masked.Network.History(s), DiffuRecNetwork.Mask(s))(xt, t);
        Assert.True(a[0].allclose(b[0], rtol: 1e-5, atol: 1e-6), "no padding: identical");
        Assert.False(a[1].allclose(b[1], rtol: 1e-3, atol: 1e-4), "padding: the padded keys no longer enter the softmax");
    }

    [Fact]
    public void DiffuRec_learns_synthetic_sequences_and_scores_every_item()
    {
        TorchRuntime.Seed(1);
        var data = Planted();
        using var model = new DiffuRec(data.Items, new DiffuRecOptions { Hidden = 32, Blocks = 2, Heads = 2, MaxLength = 20, BatchSize = 128 });
        var report = model.Fit(data, new TrainingOptions { MaxEpochs = 40 });
        Assert.True(report.Epochs[^1].TrainLoss < report.Epochs[0].TrainLoss - 0.2, $"loss {report.Epochs[0].TrainLoss} → {report.Epochs[^1].TrainLoss}");
        var histories = SequenceBatches.Histories(data, test: false, 20, CPU);
        var scores = model.Score(histories);
        Assert.Equal(new long[] { data.Users, data.Items + 1 }, scores.shape);
        var trained = Evaluator.Evaluate(model.Score, data, test: true, Masked, 20, CPU);
        Assert.True(trained["HR@10"] > 0.3, trained.ToString()); // random ≈ 0.2
    }

    [Fact]
    public void DiffuRec_inference_is_stochastic_but_seeded()
    {
        var data = Synthetic.Sequences(new Synthetic.Options(Users: 20, Items: 40, Topics: 4, MinInteractions: 8, MaxInteractions: 20));
        TorchRuntime.Seed(5);
        using var model = new DiffuRec(data.Items, new DiffuRecOptions { Hidden = 16, Blocks = 1, Heads = 2, MaxLength = 10 });
        var h = SequenceBatches.Histories(data, test: false, 10, CPU);
        TorchRuntime.Seed(9); var a = model.Score(h);
        TorchRuntime.Seed(9); var b = model.Score(h);
        var c = model.Score(h);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
        Assert.False(a.allclose(c));
        var steps = new List<int>();
        model.Score(h, (t, _, _) => steps.Add(t));
        Assert.Equal(Enumerable.Range(0, 32).Reverse(), steps);
    }

    [Fact]
    public void DiffuRec_importance_sampling_feeds_its_sampler()
    {
        TorchRuntime.Seed(2);
        var data = Synthetic.Sequences(new Synthetic.Options(Users: 50, Items: 40, Topics: 4, MinInteractions: 8, MaxInteractions: 20));
        using var model = new DiffuRec(data.Items, new DiffuRecOptions { Hidden = 16, Blocks = 1, Heads = 2, MaxLength = 10, Steps = 24, ImportanceSampling = true, BatchSize = 64 });
        model.Fit(data, new TrainingOptions { MaxEpochs = 12 });
        Assert.True(((LossSecondMomentSampler)model.Sampler).IsWarmedUp);
    }

    /// <summary>A left-padded batch [400 + 200, 8]: 400 rows of 2 items and 200 full rows, every item id in 1..9.</summary>
    static Tensor ShortAndLong()
    {
        var rows = new long[600, 8];
        for (int r = 0; r < 600; r++)
            for (int j = r < 400 ? 6 : 0; j < 8; j++) rows[r, j] = 1 + (r * 7 + j * 3) % 9;
        return tensor(rows);
    }

    [Fact]
    public void Length_groups_hold_every_row_once_and_cut_only_padding()
    {
        var batch = ShortAndLong();
        var groups = SequenceBatches.LengthGroups(batch);
        // one group of all 600 rows at width 8 computes 4,800 positions; two (2 and 8) compute 2,400 plus one more group's cost
        Assert.Equal(new[] { (400L, 2), (200L, 8) }, groups.Select(g => (g.Rows.numel(), g.Width)).OrderBy(g => g.Width).ToArray());
        var seen = cat(groups.Select(g => g.Rows).ToList(), 0).sort().Values;
        Assert.True(seen.equal(arange(600L)).all().item<bool>(), "every row exactly once");
        foreach (var (rows, width) in groups)
            Assert.True(batch.index_select(0, rows)[.., ..(8 - width)].eq(0).all().item<bool>(), $"columns cut from the width-{width} group are padding");
        // few rows: one group, the whole batch; an all-padding row keeps one column
        Assert.Equal(new[] { (2L, 8) }, SequenceBatches.LengthGroups(batch[TensorIndex.Slice(398, 402)][TensorIndex.Slice(1, 3)]).Select(g => (g.Rows.numel(), g.Width)).ToArray());
        Assert.Equal(1, SequenceBatches.LengthGroups(zeros(3, 8, dtype: int64)).Single().Width);
        // inside a bf16 region the batch stays whole (oneDNN would generate kernels for every new product shape)
        using (MixedPrecision.Region(Precision.Bf16, CPU))
            Assert.Equal(new[] { (600L, 8) }, SequenceBatches.LengthGroups(batch).Select(g => (g.Rows.numel(), g.Width)).ToArray());
        Assert.False(MixedPrecision.InRegion);
    }

    [Fact]
    public void SASRec_scores_and_loss_in_length_groups_equal_the_full_width()
    {
        TorchRuntime.Seed(6);
        using var model = new SasRec(9, new NextItemOptions { Hidden = 16, Heads = 2, MaxLength = 8 });
        model.Network.eval();
        using var _ = no_grad();
        var inputs = ShortAndLong();
        var targets = inputs.remainder(9).add(1).mul(inputs.ne(0));        // a next item at every real position, 0 at padding
        var table = ((SasRecNetwork)model.Network).Items.weight!;
        var states = model.Encode(inputs);                                  // the whole width, padding computed
        Assert.True(model.Score(inputs).allclose(states[.., -1, ..].matmul(table.t()), rtol: 1e-4, atol: 1e-5), "scores, rows in their order");
        var real = targets.reshape(-1).nonzero().squeeze(1);
        var full = nn.functional.cross_entropy(states.reshape(-1, 16).index_select(0, real).matmul(table.t()), targets.reshape(-1).index_select(0, real));
        Assert.Equal(full.item<float>(), model.ComputeLoss(inputs, targets).item<float>(), 4);
    }

    [Fact]
    public void Rows_rounded_up_for_bf16_change_neither_the_loss_nor_its_gradient()
    {
        TorchRuntime.Seed(7);
        var rows = arange(300L).mul(3);
        var targets = randint(1, 20, [300], dtype: int64);
        var (padded, paddedTargets) = SequenceBatches.RoundUpRows(rows, targets);
        Assert.Equal(384, padded.shape[0]);
        Assert.True(padded[..300].equal(rows).all().item<bool>() && padded[300..].eq(0).all().item<bool>());
        Assert.True(paddedTargets[..300].equal(targets).all().item<bool>() && paddedTargets[300..].eq(SequenceBatches.IgnoredTarget).all().item<bool>());
        Assert.Equal(256, SequenceBatches.RoundUpRows(arange(256L), arange(256L)).Rows.shape[0]); // a multiple already: as it was
        // cross-entropy skips the padded rows: the same mean, sum and gradient
        var states = randn(900, 8, requires_grad: true);
        var table = randn(20, 8);
        foreach (var reduction in new[] { nn.Reduction.Mean, nn.Reduction.Sum })
        {
            var plain = nn.functional.cross_entropy(states.index_select(0, rows).matmul(table.t()), targets, reduction: reduction);
            var gradPlain = autograd.grad([plain], [states])[0];
            var round = nn.functional.cross_entropy(states.index_select(0, padded).matmul(table.t()), paddedTargets,
                ignore_index: SequenceBatches.IgnoredTarget, reduction: reduction);
            var gradRound = autograd.grad([round], [states])[0];
            Assert.Equal(plain.item<float>(), round.item<float>(), 4);
            Assert.True(gradPlain.allclose(gradRound, rtol: 1e-5, atol: 1e-7), $"{reduction}: gradients");
        }
        // and SASRec's loss in a bf16 region (rows rounded up) stays the fp32 loss to bf16's precision
        using var model = new SasRec(9, new NextItemOptions { Hidden = 16, Heads = 2, MaxLength = 8 });
        model.Network.eval();
        using var _ = no_grad();
        var inputs = ShortAndLong();
        var next = inputs.remainder(9).add(1).mul(inputs.ne(0));
        var fp32 = model.ComputeLoss(inputs, next).item<float>();
        float bf16;
        using (MixedPrecision.Region(Precision.Bf16, CPU)) bf16 = model.ComputeLoss(inputs, next).to_type(float32).item<float>();
        Assert.True(Math.Abs(bf16 - fp32) < 0.01 * fp32, $"bf16 {bf16} against fp32 {fp32}");
    }

    [Fact]
    public void SASRec_is_causal()
    {
        TorchRuntime.Seed(4);
        using var model = new SasRec(10, new NextItemOptions { Hidden = 16, MaxLength = 5 });
        model.Network.eval();
        using var _ = no_grad();
        var a = model.Encode(tensor(new long[,] { { 0, 1, 2, 3, 4 } }));
        var b = model.Encode(tensor(new long[,] { { 0, 1, 2, 3, 9 } }));
        Assert.True(a[.., ..4, ..].allclose(b[.., ..4, ..], atol: 1e-6));
        Assert.False(a[.., 4, ..].allclose(b[.., 4, ..], atol: 1e-6));
    }

    [Theory]
    [InlineData("SASRec")]
    [InlineData("GRU4Rec")]
    public void Baselines_learn_synthetic_sequences(string name)
    {
        TorchRuntime.Seed(1);
        var data = Planted();
        using var model = Li2023.Create(name, data.Items, CPU);
        var report = model.Fit(data, new TrainingOptions { MaxEpochs = 40 });
        Assert.True(report.Epochs[^1].TrainLoss < report.Epochs[0].TrainLoss, name);
        var m = Evaluator.Evaluate(model.Score, data, test: true, Masked, model.MaxLength, CPU);
        Assert.True(m["HR@10"] > 0.4, $"{name}: {m}");
    }

    [Fact]
    public void The_standard_protocol_masks_history_and_padding_the_official_one_does_not()
    {
        var data = Tiny();
        // a model that always ranks item 0 (padding), then items 1..6 in order
        Tensor Score(Tensor h) => arange(7, 0, -1, dtype: float32).unsqueeze(0).expand(h.shape[0], 7);
        var official = Evaluator.Evaluate(Score, data, test: true, EvaluationProtocol.DiffuRec with { Ks = [1, 3] }, 4, CPU);
        var standard = Evaluator.Evaluate(Score, data, test: true, EvaluationProtocol.Standard with { Metrics = ["HR"], Ks = [1] }, 4, CPU);
        Assert.Equal(0, official["HR@1"]);      // top-1 is the padding id for everyone
        Assert.Equal(50, official["HR@3"], 6);  // user 1's test item 2 is third (after 0 and 1); user 0's item 6 is last; ×100
        Assert.Equal(1, standard["HR@1"], 6);   // masking 0 and the history puts each user's test item first
    }

    [Fact]
    public void Trainer_any_metric_counts_an_evaluation_better_when_any_metric_improves()
    {
        TorchRuntime.Seed(1);
        using var layer = nn.Linear(2, 1);
        using var opt = optim.SGD(layer.parameters(), 0.01);
        var values = new Queue<(double, double)>([(1, 1), (2, 0), (0, 0), (0, 3), (0, 0), (0, 0)]);
        var report = Trainer.Fit(layer, [opt], _ => new[] { 0 }, _ => layer.call(ones(1, 2)).sum(), () =>
        {
            var (a, b) = values.Dequeue();
            return new MetricSet(new Dictionary<string, double> { ["a"] = a, ["b"] = b }, EvaluationProtocol.Standard, 1);
        }, new TrainingOptions { MaxEpochs = 6, Metric = TrainingOptions.AnyMetric, Patience = 2 });
        Assert.Equal(4, report.BestEpoch);
        Assert.Equal(6, report.Epochs.Count);
    }

    [Fact]
    public void Li2023_maps_datasets_to_the_papers_names_and_finds_table_2()
    {
        Assert.Equal("Beauty", Li2023.PaperDataset("diffurec-amazon-beauty"));
        Assert.Equal(7.9068, ReportedResults.Find("li2023", "Table 2", "Beauty", "DiffuRec", "HR(%)", 10)!.Value, 6);
        Assert.Equal(16.8941, ReportedResults.Find("li2023", "Table 2", "ML-1M", "SASRec", "HR(%)", 10)!.Value, 6);
        Assert.Throws<ReproDiffException>(() => Li2023.PaperDataset("diffrec-ml-1m-clean"));
    }
}
