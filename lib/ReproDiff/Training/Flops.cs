using System.Diagnostics;
using ReproDiff.Data;
using ReproDiff.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReproDiff.Training;

/// <summary>
/// Floating-point work counted from layer shapes, and this machine's matrix-product throughput, so that a speed figure
/// says how close it is to the hardware (issue 16). A Linear layer with weight [out, in] costs in·out multiply-adds per
/// row, 2·in·out flops. A training step counts 3× its forward work (the backward pass computes the input gradient and
/// the weight gradient, one product each; Kaplan et al. 2020). Element-wise work (tanh, dropout, softmax, the optimiser)
/// and the top-K of evaluation are not counted: the figures are the matrix products, which dominate these models.
/// </summary>
public static class Flops
{
    /// <summary>Flops of one training epoch (forward and backward over every example) and of one validation pass.</summary>
    public sealed record Work(double TrainPerEpoch, double EvalPass);

    /// <summary>Multiply-adds of one row through every Linear of <paramref name="module"/>, each applied once.</summary>
    public static long LinearMacs(nn.Module module) =>
        module.modules().OfType<Linear>().Sum(l => l.weight!.shape[0] * l.weight.shape[1]);

    /// <summary>
    /// The counted work of a user × item model on <paramref name="data"/>, or null for a model not counted yet. Every
    /// model here is a stack of Linear layers applied once per user row: DiffRec's denoiser runs once per training row and
    /// T times per user at evaluation (its chain always runs all T steps); L-DiffRec adds its clustered encoder and
    /// decoder once per row; MultVAE runs encoder and decoder once.
    /// </summary>
    public static Work? Of(IUserItemRecommender model, InteractionDataset data)
    {
        double users = data.Users;
        return model switch
        {
            DiffRec d => new(6 * users * LinearMacs(d.Denoiser), 2 * users * d.Options.Steps * LinearMacs(d.Denoiser)),
            LDiffRec l => new(6 * users * (LinearMacs(l.Autoencoder) + LinearMacs(l.Denoiser)),
                2 * users * (LinearMacs(l.Autoencoder) + l.Options.Diffusion.Steps * LinearMacs(l.Denoiser))),
            MultVae v => new(6 * users * LinearMacs(v.Network), 2 * users * LinearMacs(v.Network)),
            _ => null,
        };
    }

    /// <summary>
    /// The counted work of a next-item model on <paramref name="data"/>, or null for a model not counted yet. GRU4Rec and
    /// DiffuRec compute every position of the left-padded length L, padding included, because their outputs depend on it
    /// (GRU4Rec's recurrence runs through the padding; DiffuRec's released attention lets real positions attend to it), so
    /// every position counts. SASRec and SeqDiffRec run their batches in length groups that skip the padding
    /// (<see cref="SequenceBatches.LengthGroups"/>): each sequence counts its own real positions only, and the padding the
    /// groups still compute (rows shorter than their group) does not count. SASRec and GRU4Rec train on one sequence per
    /// user and score every real position against the item table; DiffuRec trains on every prefix (one target each) and
    /// its evaluation runs the approximator once per reverse step. SeqDiffRec trains on its examples (every prefix, or the
    /// windows), one denoiser call and one rounding each; its evaluation calls the denoiser N times (Algorithm 2) or K
    /// times with K roundings (the one-step inference). Scoring against the item table counts (items + 1)·H per scored row.
    /// </summary>
    public static Work? Of(ISequentialRecommender model, SequenceDataset data)
    {
        double users = data.Users, table = data.Items + 1;
        // the real length of each user's validation history, at most l
        IEnumerable<int> Histories(int l) => Enumerable.Range(0, data.Users).Select(u => Math.Min(data.History(u, forTest: false).Length, l));
        switch (model)
        {
            case SasRec n:
            {
                var (h, l, layers) = (n.Options.Hidden, n.Options.MaxLength, n.Options.Layers);
                // each user's real positions through the blocks: min(|S_u| − 1, L) in training, the history at validation
                var train = data.Train.Select(x => Math.Min(x.Length - 1, l)).Where(p => p > 0).ToArray();
                double encode = train.Sum(p => layers * BlockMacs(p, p, h)), positions = train.Sum();
                return new(6 * (encode + positions * table * h), 2 * Histories(l).Sum(p => layers * BlockMacs(p, p, h) + table * h));
            }
            case Gru4Rec g:
            {
                var (h, l) = (g.Options.Hidden, g.Options.MaxLength);
                // per position and layer: three gates, each an input and a recurrent product; then the dense layer back to H
                var encode = l * (3.0 * (h * g.GruHidden + g.GruHidden * g.GruHidden) + (g.Options.Layers - 1) * 3.0 * (2.0 * g.GruHidden * g.GruHidden) + g.GruHidden * h);
                double positions = data.Train.Sum(x => (double)Math.Min(x.Length - 1, l));
                return new(6 * (users * encode + positions * table * h), 2 * users * (encode + table * h));
            }
            case DiffuRec d:
            {
                var (h, l) = (d.Options.Hidden, d.Options.MaxLength);
                // the step embedding's MLP H → 4H → H and the blocks, per approximator call
                var approximator = 8.0 * h * h + StackMacs(d.Options.Blocks, l, h);
                double examples = data.Train.Sum(x => (double)Math.Max(0, x.Length - 1));
                return new(6 * examples * (approximator + table * h), 2 * users * (d.Options.Steps * approximator + table * h));
            }
            case SeqDiffRec s:
            {
                var (h, t) = (s.Options.Hidden, s.Options.MaxLength);
                // the denoiser: its blocks over an example's real slots (the target's included); the step embedding is sinusoidal (no product)
                double Denoiser(int slots) => StackMacs(s.Options.Blocks, slots, h);
                long[] slots;
                using (var examples = s.Examples(data))
                using (var counts = examples.ne(0).sum(1)) slots = counts.data<long>().ToArray();
                // at inference the window is the history (at most T − 1 items) and the [unk] slot
                var perUser = Histories(t - 1).Sum(p => s.Options.Inference == SeqDiffRecInference.ReverseChain
                    ? s.Options.Steps * Denoiser(p + 1) + table * h
                    : s.Options.Draws * (Denoiser(p + 1) + table * h));
                return new(6 * slots.Sum(n => Denoiser((int)n) + table * h), 2 * perUser);
            }
            default:
                return null;
        }
    }

    /// <summary>
    /// Multiply-adds of one pre-norm Transformer block (<see cref="TransformerBlock"/>) of width H over L positions with
    /// Lq query rows (L, or 1 when only the last row is computed): the fused q/k/v projection of every position (3H²·L),
    /// the output projection and the 4H feed-forward of each query row (9H²·Lq), and the attention products q·kᵀ and
    /// weights·v (2·Lq·L·H).
    /// </summary>
    public static double BlockMacs(int l, int lq, int h) => 3.0 * h * h * l + 9.0 * h * h * lq + 2.0 * lq * l * h;

    /// <summary>A stack of <paramref name="blocks"/> such blocks over L positions whose last block computes only the last row (DiffuRec's and SeqDiffRec's read-out).</summary>
    static double StackMacs(int blocks, int l, int h) => (blocks - 1) * BlockMacs(l, l, h) + BlockMacs(l, 1, h);

    /// <summary>
    /// Measured throughput of an n×n by n×n product on <paramref name="device"/> in <paramref name="dtype"/>, in GFLOP/s
    /// (2n³ flops per product): the best of <paramref name="repeats"/> timed products after one warm-up, with the threads
    /// libtorch is set to use. The ceiling the models' achieved GFLOP/s are compared with.
    /// </summary>
    public static double MatmulGflops(Device device, ScalarType dtype = ScalarType.Float32, int n = 2048, int repeats = 5)
    {
        if (n < 1 || repeats < 1) throw new ArgumentException($"matmul calibration: n = {n} and repeats = {repeats} must be positive.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = randn(n, n, device: device).to_type(dtype);
        var b = randn(n, n, device: device).to_type(dtype);
        a.matmul(b).Dispose();
        var best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            var watch = Stopwatch.StartNew();
            using var c = a.matmul(b);
            if (device.type == DeviceType.CUDA) cuda.synchronize(device);
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }

    /// <summary>Whether the CPU multiplies bf16 natively (AVX512-BF16 or AMX-BF16 in /proc/cpuinfo): only then is bf16 worth timing on it.</summary>
    public static bool CpuHasBf16()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo)) return false;
        var flags = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return flags is not null && (flags.Contains(" avx512_bf16", StringComparison.Ordinal) || flags.Contains(" amx_bf16", StringComparison.Ordinal));
    }
}
