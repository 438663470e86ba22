using ReproDiff.Data;
using ReproDiff.Models;
using ReproDiff.Training;

namespace ReproDiff.Tests.Training;

/// <summary>The FLOP counts bench reports, against hand counts of the layer shapes.</summary>
public class FlopsTests
{
    static InteractionDataset Users(int users, int items)
    {
        var rows = Enumerable.Range(0, users).ToArray();
        var m = SparseMatrix.FromPairs(users, items, rows, rows.Select(u => u % items).ToArray());
        return new InteractionDataset("d", users, items, m, m, m);
    }

    [Fact]
    public void DiffRecsDenoiserOnMl1mIsThreePointSixMillionMultiplyAddsPerUser()
    {
        // items + 10 → 600 → 200 → 600 → items, and the step embedding's 10 → 10 (issue 16 quotes 3.62 M)
        using var m = new DiffRec(2810, DiffRecOptions.Preset("diffrec-ml-1m-clean"));
        Assert.Equal(2820L * 600 + 600 * 200 + 200 * 600 + 600 * 2810 + 10 * 10, Flops.LinearMacs(m.Denoiser));
    }

    [Fact]
    public void WorkCountsEveryTrainingRowThriceAndEveryReverseStep()
    {
        var data = Users(30, 20);
        using var d = new DiffRec(20, new DiffRecOptions { Dims = [8, 4], Steps = 5 });
        // Dims [8, 4] as the official DNN.py builds them: in (20 + 10) → 4 → 8, out 8 → 4 → 20, and the step embedding 10 → 10
        Assert.Equal(30L * 4 + 4 * 8 + 8 * 4 + 4 * 20 + 10 * 10, Flops.LinearMacs(d.Denoiser));
        var work = Flops.Of(d, data)!;
        Assert.Equal(6.0 * 30 * Flops.LinearMacs(d.Denoiser), work.TrainPerEpoch);
        Assert.Equal(2.0 * 30 * 5 * Flops.LinearMacs(d.Denoiser), work.EvalPass);
        using var v = new MultVae(20, new MultVaeOptions { Dims = [8, 4] });
        // encoder 20 → 8 → 2·4, decoder 4 → 8 → 20
        Assert.Equal(20L * 8 + 8 * 8 + 4 * 8 + 8 * 20, Flops.LinearMacs(v.Network));
        Assert.Equal(2.0 * 30 * Flops.LinearMacs(v.Network), Flops.Of(v, data)!.EvalPass);
        Assert.Null(Flops.Of(new MostPopular(), data));
    }

    [Fact]
    public void SequenceModelsCountTheirPositionsBlocksAndReverseSteps()
    {
        // 2 users, 5 items: training sequences of 3 and 2 items (2 and 1 next-item targets)
        var data = new SequenceDataset("s", 5, [[1, 2, 3], [2, 4]], [4, 5], [5, 1]);
        // one block of width 8 over L = 4 positions: q/k/v 3·64·4 + output and FFN 9·64·4 + attention 2·4·4·8 = 3,328
        Assert.Equal(3328, Flops.BlockMacs(4, 4, 8));
        // SASRec skips the padding: each sequence's real positions only. BlockMacs(l, l, 8) = 64·12·l + 16·l²:
        // 784 at 1 position, 1,600 at 2, 2,448 at 3
        Assert.Equal(1600, Flops.BlockMacs(2, 2, 8));
        using var sasrec = new SasRec(5, new NextItemOptions { Hidden = 8, Layers = 1, Heads = 2, MaxLength = 4 });
        var s = Flops.Of(sasrec, data)!;
        Assert.Equal(6.0 * (1600 + 784 + 3 * 6 * 8), s.TrainPerEpoch);    // inputs of 2 and 1 positions, 3 scored positions × 6 rows × H
        Assert.Equal(2.0 * (2448 + 1600 + 2 * 6 * 8), s.EvalPass);          // validation histories of 3 and 2 items
        using var gru = new Gru4Rec(5, new NextItemOptions { Hidden = 8, Layers = 1, MaxLength = 4 }, gruHidden: 16);
        var g = Flops.Of(gru, data)!;                                      // per position: 3 gates (8·16 + 16·16), dense 16·8
        Assert.Equal(6.0 * (2 * 4 * (3 * (8 * 16 + 16 * 16) + 16 * 8) + 3 * 6 * 8), g.TrainPerEpoch);
        Assert.Equal(2.0 * 2 * (4 * (3 * (8 * 16 + 16 * 16) + 16 * 8) + 6 * 8), g.EvalPass);
        using var diffurec = new DiffuRec(5, new DiffuRecOptions { Hidden = 8, Blocks = 2, Heads = 2, MaxLength = 4, Steps = 3 });
        // approximator: step MLP 8·64 + a full block 3,328 + a last-row block 3·64·4 + 9·64 + 2·4·8 = 1,408
        var d = Flops.Of(diffurec, data)!;
        Assert.Equal(6.0 * 3 * (512 + 3328 + 1408 + 6 * 8), d.TrainPerEpoch);   // 3 prefixes
        Assert.Equal(2.0 * 2 * (3 * (512 + 3328 + 1408) + 6 * 8), d.EvalPass); // 3 reverse steps per user, one scoring
        // SeqDiffRec (T = 4) over each example's real slots: a full block and a last-row block per denoiser call (no step
        // MLP), one rounding per example. Denoiser at 2 slots 1,600 + 992, at 3 slots 2,448 + 1,200, at 4 slots 3,328 + 1,408
        var o = new SeqDiffRecOptions { Hidden = 8, Blocks = 2, Heads = 2, MaxLength = 4, Steps = 3, Schedule = "cosine", Draws = 2 };
        using var chain = new SeqDiffRec(5, o);
        var c = Flops.Of(chain, data)!;
        var (two, three, four) = (1600 + 992, 2448 + 1200, 3328 + 1408);
        Assert.Equal(6.0 * (two + three + two + 3 * 6 * 8), c.TrainPerEpoch);   // prefixes [1]→2, [1 2]→3, [2]→4
        Assert.Equal(2.0 * (3 * (four + three) + 2 * 6 * 8), c.EvalPass);       // Algorithm 2 on histories of 3 and 2 items + [unk]: N = 3 calls, one rounding
        using var oneStep = new SeqDiffRec(5, o with { Inference = SeqDiffRecInference.OneStep });
        Assert.Equal(2.0 * 2 * (four + 6 * 8 + three + 6 * 8), Flops.Of(oneStep, data)!.EvalPass); // K = 2 draws, each denoised and rounded
    }

    [Fact]
    public void MatmulCalibrationGivesAPositiveThroughput()
    {
        var gflops = Flops.MatmulGflops(TorchSharp.torch.CPU, n: 64, repeats: 2);
        Assert.True(double.IsFinite(gflops) && gflops > 0, $"{gflops}");
        Assert.Throws<ArgumentException>(() => Flops.MatmulGflops(TorchSharp.torch.CPU, n: 0));
    }
}
