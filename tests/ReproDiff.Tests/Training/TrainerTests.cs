using ReproDiff.Evaluation;
using ReproDiff.Runtime;
using ReproDiff.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Tests.Training;

public class TrainerTests
{
    static readonly EvaluationProtocol P = new() { Name = "test", Metrics = ["Recall"], Ks = [1] };

    static (nn.Module<Tensor, Tensor> Model, optim.Optimizer Opt) Linear()
    {
        var m = nn.Linear(4, 1);
        return (m, optim.Adam(m.parameters(), lr: 0.01));
    }

    static IEnumerable<(Tensor X, Tensor Y)> Batches(int count)
    {
        for (int i = 0; i < count; i++)
        {
            var x = randn(32, 4);
            yield return (x, x.sum(1, keepdim: true));
        }
    }

    [Fact]
    public void LiveTensorCountDoesNotGrowOverManySteps()
    {
        TorchRuntime.Seed(1);
        var (model, opt) = Linear();
        var live = new List<long>();
        var report = Trainer.Fit(model, [opt], _ => Batches(100), b => nn.functional.mse_loss(model.call(b.X), b.Y),
            () => { using var s = NewDisposeScope(); var v = model.call(ones(1, 4)).item<float>(); return new MetricSet(new Dictionary<string, double> { ["Recall@1"] = -Math.Abs(v - 4) }, P, 1); },
            new TrainingOptions { MaxEpochs = 6 }, new Progress<EpochReport>(r => live.Add(r.LiveTensors)));
        Assert.Equal(6, report.Epochs.Count);
        Assert.Equal(report.Epochs[1].LiveTensors, report.Epochs[^1].LiveTensors);
        Assert.True(report.Epochs[^1].TrainLoss < report.Epochs[0].TrainLoss);
    }

    [Fact]
    public void EarlyStoppingKeepsAndRestoresTheBestWeights()
    {
        TorchRuntime.Seed(2);
        var (model, opt) = Linear();
        double[] scores = [0.1, 0.5, 0.3, 0.2, 0.9];
        float[]? weightsAtBest = null;
        int calls = 0;
        MetricSet Validate()
        {
            var v = scores[calls++];
            if (calls == 2) weightsAtBest = model.parameters().First().data<float>().ToArray();
            return new MetricSet(new Dictionary<string, double> { ["Recall@1"] = v }, P, 1);
        }
        var report = Trainer.Fit(model, [opt], _ => Batches(5), b => nn.functional.mse_loss(model.call(b.X), b.Y), Validate,
            new TrainingOptions { MaxEpochs = 5, Metric = "Recall@1", Patience = 2 });
        Assert.Equal(4, report.Epochs.Count);
        Assert.Equal(2, report.BestEpoch);
        Assert.Equal(0.5, report.BestValue);
        Assert.Equal("no improvement of Recall@1 in 2 evaluations", report.StopReason);
        Assert.Equal(weightsAtBest, model.parameters().First().data<float>().ToArray());
    }

    [Fact]
    public void CheckpointResumesAfterTheLastEvaluatedEpoch()
    {
        TorchRuntime.Seed(3);
        var path = Path.Combine(Directory.CreateTempSubdirectory("reprodiff-ckpt").FullName, "model");
        MetricSet Constant() => new(new Dictionary<string, double> { ["Recall@1"] = 0.5 }, P, 1);
        var (m1, o1) = Linear();
        Trainer.Fit(m1, [o1], _ => Batches(3), b => nn.functional.mse_loss(m1.call(b.X), b.Y), Constant,
            new TrainingOptions { MaxEpochs = 2, CheckpointPath = path });
        var saved = m1.parameters().First().data<float>().ToArray();
        var (m2, o2) = Linear();
        float[]? atStart = null;
        var report = Trainer.Fit(m2, [o2], e => { atStart ??= m2.parameters().First().data<float>().ToArray(); return Batches(3); },
            b => nn.functional.mse_loss(m2.call(b.X), b.Y), Constant, new TrainingOptions { MaxEpochs = 4, CheckpointPath = path });
        Assert.Equal([3, 4], report.Epochs.Select(e => e.Epoch));
        Assert.Equal(saved, atStart);
    }

    [Fact]
    public void A_resumed_fit_reports_the_epochs_and_times_before_the_resume()
    {
        TorchRuntime.Seed(5);
        var path = Path.Combine(Directory.CreateTempSubdirectory("reprodiff-resume").FullName, "model");
        double value = 0;
        MetricSet Rising() => new(new Dictionary<string, double> { ["Recall@1"] = value += 0.1 }, P, 1);   // better at every evaluation
        MetricSet Flat() => new(new Dictionary<string, double> { ["Recall@1"] = 0 }, P, 1);
        var (m1, o1) = Linear();
        var first = Trainer.Fit(m1, [o1], _ => Batches(3), b => nn.functional.mse_loss(m1.call(b.X), b.Y), Rising,
            new TrainingOptions { MaxEpochs = 2, Metric = "Recall@1", CheckpointPath = path });
        var (m2, o2) = Linear();
        var report = Trainer.Fit(m2, [o2], _ => Batches(3), b => nn.functional.mse_loss(m2.call(b.X), b.Y), Flat,
            new TrainingOptions { MaxEpochs = 5, Metric = "Recall@1", Patience = 3, CheckpointPath = path });
        Assert.Equal([3, 4, 5], report.Epochs.Select(e => e.Epoch));
        Assert.Equal(5, report.EpochCount);                                   // not the 3 this process ran
        Assert.Equal(2, report.BestEpoch);
        Assert.Equal(first.Epochs.Select(e => e.EpochTime.TotalSeconds), report.Resumed.EpochSeconds);
        Assert.Equal(first.Epochs[1].Elapsed.TotalSeconds, report.BestElapsed!.Value.TotalSeconds, 6);   // the best epoch ran before the resume
        Assert.True(report.Elapsed > report.Resumed.Elapsed);
        Assert.Equal(report.Resumed.Elapsed.TotalSeconds, first.Epochs[1].Elapsed.TotalSeconds, 6);    // the checkpoint's clock at epoch 2
        var all = first.Epochs.Concat(report.Epochs).Select(e => e.EpochTime.TotalSeconds).Order().ToArray();
        Assert.Equal(all[2], report.SecondsPerEpochMedian, 9);                 // the median of all five epochs
    }

    [Fact]
    public void TimeBudgetStopsAfterTheEpochThatCrossesIt()
    {
        var (model, opt) = Linear();
        var report = Trainer.Fit(model, [opt], _ => Batches(2), b => nn.functional.mse_loss(model.call(b.X), b.Y), null,
            new TrainingOptions { MaxEpochs = 50, TimeBudget = TimeSpan.Zero });
        Assert.Single(report.Epochs);
        Assert.StartsWith("time budget", report.StopReason);
    }

    [Fact]
    public void TimeBudgetValidatesTheEpochItStopsAtAndCheckpointsIt()
    {
        TorchRuntime.Seed(4);
        var path = Path.Combine(Directory.CreateTempSubdirectory("reprodiff-budget").FullName, "model");
        var (model, opt) = Linear();
        int calls = 0;
        MetricSet Validate() { calls++; return new(new Dictionary<string, double> { ["Recall@1"] = 0.5 }, P, 1); }
        var report = Trainer.Fit(model, [opt], _ => Batches(2), b => nn.functional.mse_loss(model.call(b.X), b.Y), Validate,
            new TrainingOptions { MaxEpochs = 50, EvalEvery = 10, Metric = "Recall@1", TimeBudget = TimeSpan.Zero, CheckpointPath = path });
        Assert.Equal(1, calls);                       // epoch 1 is no evaluation epoch (every 10), but the budget stops there
        Assert.Equal(1, report.BestEpoch);
        Assert.NotNull(report.Epochs.Single().Valid);
        Assert.True(File.Exists(path + ".json") && File.Exists(path + ".best"));
    }

    [Fact]
    public void BadOptionsAreNamed()
    {
        var (model, opt) = Linear();
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(model, [opt], _ => Batches(1), b => b.X.sum(), null, new TrainingOptions { MaxEpochs = 0 }));
        Assert.Equal("MaxEpochs = 0 must be at least 1.", e.Message);
    }
}
