// The hot kernels of the package, at the shapes the real runs use, so that a speed regression shows in numbers
// (issue 16). Each benchmark runs in the process (no generated child project: the TorchSharp natives of this build
// output carry the GLIBCXX fix) with libtorch's default threads, and reports its time and, where the work is a stack of
// matrix products, the GFLOP/s it achieves (the GFLOP/s column: the counted work of Program.Counted over the mean time).
using BenchmarkDotNet.Attributes;
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Models;
using ReproDiff.Runtime;
using ReproDiff.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Benchmarks;

/// <summary>DiffRec's denoiser on ML-1M's shape (2,810 items, dims [200, 600]), one batch of 400 users.</summary>
[InProcess]
public class DiffRecDenoiserBench
{
    public const int Users = 400, Items = 2810;
    public static readonly int[] Dims = [200, 600];
    DiffRecDenoiser net = null!;
    optim.Optimizer optimizer = null!;
    Tensor x = null!, t = null!;

    /// <summary>GFLOP of one forward pass of the batch (2 flops per multiply-add of every Linear).</summary>
    public static double ForwardGflop()
    {
        using var net = new DiffRecDenoiser(Items, Dims, 10, 0.5);
        return 2.0 * Users * Flops.LinearMacs(net) / 1e9;
    }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.RetainFreedMemory();
        TorchRuntime.Seed(1);
        net = new DiffRecDenoiser(Items, Dims, 10, 0.5);
        optimizer = optim.AdamW(net.parameters(), lr: 1e-3);
        x = rand(Users, Items).lt(0.024).to_type(float32).DetachFromDisposeScope();   // ML-1M's density: about 68 of 2,810 items
        t = randint(0, 40, [Users], dtype: int64).DetachFromDisposeScope();
    }

    /// <summary>One reverse step of evaluation: the forward pass without gradients (the validation pass runs 40 per user).</summary>
    [Benchmark]
    public void EvalStep()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        net.eval();
        net.call(x, t);
    }

    /// <summary>One training step: forward, MSE to x_0, backward, AdamW.</summary>
    [Benchmark]
    public void TrainStep()
    {
        using var scope = NewDisposeScope();
        net.train();
        var loss = (net.call(x, t) - x).square().mean();
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
    }

    [GlobalCleanup]
    public void Cleanup() { x.Dispose(); t.Dispose(); optimizer.Dispose(); net.Dispose(); }
}

/// <summary>One pre-norm Transformer block at DiffuRec's shape (batch 512, 50 positions, width 128, 4 heads).</summary>
[InProcess]
public class TransformerBlockBench
{
    public const int Batch = 512, Length = 50, Hidden = 128, Heads = 4;
    TransformerBlock block = null!;
    Tensor h = null!;

    /// <summary>GFLOP of one forward pass over every position (<see cref="Flops.BlockMacs"/>).</summary>
    public static double ForwardGflop() => 2.0 * Batch * Flops.BlockMacs(Length, Length, Hidden) / 1e9;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.RetainFreedMemory();
        TorchRuntime.Seed(1);
        block = new TransformerBlock(Hidden, Heads, 0.1);
        h = randn(Batch, Length, Hidden).DetachFromDisposeScope();
    }

    /// <summary>Inference: every position, the fused attention kernel.</summary>
    [Benchmark]
    public void Forward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        block.eval();
        block.forward(h, null, lastOnly: false);
    }

    /// <summary>Training: forward with dropout (attention spelled out), then the backward pass of a scalar loss.</summary>
    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = NewDisposeScope();
        block.train();
        block.zero_grad();
        block.forward(h, null, lastOnly: false).square().mean().backward();
    }

    [GlobalCleanup]
    public void Cleanup() { h.Dispose(); block.Dispose(); }
}

/// <summary>
/// Full ranking with the history masked, as every evaluation does: 512 users' scores over Beauty's 12,102 item ids,
/// each user's ~9 seen items set to −∞, then the top 20 (<see cref="Evaluator.Recommend"/>).
/// </summary>
[InProcess]
public class TopKBench
{
    const int Users = 512, Items = 12102, Seen = 9, K = 20;
    Tensor scores = null!;
    SparseMatrix history = null!;
    long[] users = null!;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.RetainFreedMemory();
        TorchRuntime.Seed(1);
        scores = randn(Users, Items).DetachFromDisposeScope();
        var rng = new Random(1);
        var rows = Enumerable.Range(0, Users).SelectMany(u => Enumerable.Repeat(u, Seen)).ToArray();
        history = SparseMatrix.FromPairs(Users, Items, rows, rows.Select(_ => rng.Next(Items)).ToArray());
        users = Enumerable.Range(0, Users).Select(u => (long)u).ToArray();
    }

    /// <summary>The copy of the scores stands for the model's output (the masking writes into it).</summary>
    [Benchmark]
    public int[][] MaskedTopK() => Evaluator.Recommend(_ => scores.clone(), users, K, [history]);

    [GlobalCleanup]
    public void Cleanup() => scores.Dispose();
}

/// <summary>
/// One matrix product alone at a shape the models multiply, "M×K×N" ([M, K] by [K, N]): the ceiling the library gives
/// at that shape, against which a model's achieved GFLOP/s is read (the calibration of <c>reprodiff bench</c> multiplies
/// 2048 × 2048 squares, a shape no model here has). Rows of a batch are M: SASRec's ~1,536 real positions of a Beauty
/// batch (width 64, blocks of 2 heads, its loss against the 12,103-row item table), DiffuRec's 512 × 50 positions
/// (width 128), SeqDiffRec's ~1,792 real slots (width 256) and its 256 read-out rows against the table.
/// </summary>
[InProcess]
public class ProductShapesBench
{
    [Params("2048x2048x2048",
        "1536x64x192", "1536x64x256", "1536x256x64", "1536x64x12103",
        "25600x128x384", "25600x128x512", "25600x512x128", "512x128x12103",
        "1792x256x768", "1792x256x1024", "1792x1024x256", "256x256x12103")]
    public string Shape { get; set; } = "";

    Tensor a = null!, b = null!, g = null!;

    /// <summary>(M, K, N) of a "M×K×N" shape.</summary>
    public static (long M, long K, long N) Parse(string shape) =>
        shape.Split('x').Select(long.Parse).ToArray() is [var m, var k, var n] ? (m, k, n) : throw new ArgumentException($"shape '{shape}' is not MxKxN.");

    /// <summary>GFLOP of the forward product (2·M·K·N).</summary>
    public static double ForwardGflop(string shape) { var (m, k, n) = Parse(shape); return 2.0 * m * k * n / 1e9; }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.RetainFreedMemory();
        TorchRuntime.Seed(1);
        var (m, k, n) = Parse(Shape);
        a = randn(m, k).DetachFromDisposeScope();
        b = randn(k, n).DetachFromDisposeScope();
        g = randn(m, n).DetachFromDisposeScope();
    }

    /// <summary>The product A·B.</summary>
    [Benchmark]
    public void Forward()
    {
        using var scope = NewDisposeScope();
        a.matmul(b);
    }

    /// <summary>What training multiplies for it: A·B, then the gradients G·Bᵀ and Aᵀ·G (transposed views, as autograd passes them).</summary>
    [Benchmark]
    public void Training()
    {
        using var scope = NewDisposeScope();
        a.matmul(b);
        g.matmul(b.t());
        a.t().matmul(g);
    }

    [GlobalCleanup]
    public void Cleanup() { a.Dispose(); b.Dispose(); g.Dispose(); }
}

/// <summary>
/// Where a Transformer block's training time goes (issue 16): <see cref="TransformerBlockBench.ForwardBackward"/>'s block at
/// DiffuRec's shape, and its parts alone, each forward and backward. The backward is <c>autograd.grad</c> with a fixed
/// upstream gradient into every input and parameter, so no loss op and no accumulation into <c>.grad</c> is timed.
/// <c>block</c> is the whole block with dropout 0.1 (attention spelled out); <c>block, no dropout</c> the same block with
/// dropout 0, which takes libtorch's fused attention; <c>projections</c> its four Linear layers alone over every
/// position; <c>attention</c> softmax(q kᵀ/√d) with dropout, times v, per sequence and head; <c>attention, fused</c> the
/// same without dropout through <c>scaled_dot_product_attention</c>; <c>element-wise</c> the block's two layer norms,
/// GELU, four dropouts and two residual additions (<c>, no dropout</c>: with dropout 0); <c>draws</c> the uniform random
/// numbers the block's six dropouts draw in one step (rand_like: 4 × [B, L, H], [B, L, 4H], [B, heads, L, L]); <c>copy</c> one [B, L, 4H] fp32
/// tensor copied (52 MB read and 52 MB written), to compare the element-wise work with the memory bandwidth.
/// </summary>
[InProcess]
public class BlockPartsBench
{
    const int B = TransformerBlockBench.Batch, L = TransformerBlockBench.Length, H = TransformerBlockBench.Hidden, Heads = TransformerBlockBench.Heads;

    [Params("block", "block, no dropout", "projections", "attention", "attention, fused", "element-wise", "element-wise, no dropout", "draws", "copy")]
    public string Part { get; set; } = "";

    readonly List<IDisposable> owned = [];
    Action step = null!;

    /// <summary>GFLOP of the matrix products a part runs forward (training counts 3×); NaN for the parts without products.</summary>
    public static double ForwardGflop(string part) => part switch
    {
        "block" or "block, no dropout" => TransformerBlockBench.ForwardGflop(),
        "projections" => 2.0 * B * L * 12.0 * H * H / 1e9,
        "attention" or "attention, fused" => 2.0 * B * 2.0 * L * L * H / 1e9,
        _ => double.NaN,
    };

    T Own<T>(T x) where T : IDisposable { owned.Add(x); return x; }
    Tensor Fixed(params long[] shape) => Own(randn(shape).DetachFromDisposeScope());
    Tensor Leaf(params long[] shape) => Fixed(shape).requires_grad_();

    /// <summary>One training step of a part: its outputs, then their gradients with respect to <paramref name="inputs"/> given <paramref name="upstream"/>.</summary>
    static Action Step(Func<Tensor[]> forward, Tensor[] upstream, IEnumerable<Tensor> inputs)
    {
        var wrt = inputs.ToArray();
        return () => autograd.grad(forward(), wrt, upstream);
    }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.RetainFreedMemory();
        TorchRuntime.Seed(1);
        step = Part switch
        {
            "block" or "block, no dropout" => Block(Part == "block" ? 0.1 : 0.0),
            "projections" => Projections(),
            "attention" or "attention, fused" => Attention(Part == "attention"),
            "element-wise" or "element-wise, no dropout" => ElementWise(Part == "element-wise" ? 0.1 : 0.0),
            "draws" => Draws(),
            "copy" => Copy(),
            _ => throw new ArgumentException($"Part '{Part}' is not known."),
        };
    }

    Action Block(double dropout)
    {
        var block = Own(new TransformerBlock(H, Heads, dropout));
        block.train();
        var h = Leaf(B, L, H);
        return Step(() => [block.forward(h, null, lastOnly: false)], [Fixed(B, L, H)], [h, .. block.parameters()]);
    }

    Action Projections()
    {
        var layers = new[] { (H, 3 * H), (H, H), (H, 4 * H), (4 * H, H) }.Select(p => (Layer: Own(nn.Linear(p.Item1, p.Item2)), X: Leaf(B * L, p.Item1), G: Fixed(B * L, p.Item2))).ToArray();
        return Step(() => [.. layers.Select(l => l.Layer.call(l.X))], [.. layers.Select(l => l.G)],
            layers.SelectMany(l => l.Layer.parameters().Prepend(l.X)));
    }

    Action Attention(bool dropout)
    {
        var (q, k, v) = (Leaf(B, Heads, L, H / Heads), Leaf(B, Heads, L, H / Heads), Leaf(B, Heads, L, H / Heads));
        var drop = Own(new UniformDropout(0.1));
        drop.train();
        Func<Tensor[]> forward = dropout
            ? () => [drop.call(nn.functional.softmax(q.matmul(k.transpose(-2, -1)).div_(Math.Sqrt(H / Heads)), -1)).matmul(v)]
            : () => [nn.functional.scaled_dot_product_attention(q, k, v)];
        return Step(forward, [Fixed(B, Heads, L, H / Heads)], [q, k, v]);
    }

    /// <summary>
    /// The block's non-product work, with leaves standing in for the products' outputs: LN₁(h) (into q/k/v); r = h +
    /// Dropout(a) (a: the attention's output projection); LN₂(r) (into the FFN); Dropout(GELU(f)) at 4H (f: the FFN's
    /// first layer); Dropout(r + Dropout(c)) (c: its second layer).
    /// </summary>
    Action ElementWise(double dropout)
    {
        var (norm1, norm2) = (Own(nn.LayerNorm(H, eps: 1e-12)), Own(nn.LayerNorm(H, eps: 1e-12)));
        var drop = Own(new UniformDropout(dropout));
        drop.train();
        var (h, a, f, c) = (Leaf(B, L, H), Leaf(B, L, H), Leaf(B, L, 4 * H), Leaf(B, L, H));
        return Step(() =>
            {
                var r = h + drop.call(a);
                return [norm1.call(h), norm2.call(r), drop.call(f.gelu(TorchSharp.Modules.GELU.Approximate.tanh)), drop.call(r + drop.call(c))];
            },
            [Fixed(B, L, H), Fixed(B, L, H), Fixed(B, L, 4 * H), Fixed(B, L, H)],
            [h, a, f, c, .. norm1.parameters(), .. norm2.parameters()]);
    }

    Action Draws()
    {
        Tensor[] shapes = [.. Enumerable.Range(0, 4).Select(_ => Fixed(B, L, H)), Fixed(B, L, 4 * H), Fixed(B, Heads, L, L)];
        return () => { foreach (var x in shapes) rand_like(x); };
    }

    Action Copy()
    {
        var (src, dst) = (Fixed(B, L, 4 * H), Fixed(B, L, 4 * H));
        return () => dst.copy_(src);
    }

    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = NewDisposeScope();
        step();
    }

    [GlobalCleanup]
    public void Cleanup() { foreach (var x in owned) x.Dispose(); owned.Clear(); }
}

/// <summary>
/// SASRec's loss on Beauty, where most of its training step goes once the padding is skipped (issue 16): ~1,536 real
/// positions' outputs (width 64) scored against the 12,103-row item table, then the cross-entropy over all items; each
/// part alone, forward and backward (<c>autograd.grad</c>, no accumulation). <c>scores</c> the product with its two
/// gradient products; <c>cross-entropy</c> log-softmax and the target's negative log-likelihood on fixed scores (74 MB);
/// <c>both</c> the two in sequence, as the model runs them. Run with <c>GLIBC_TUNABLES=glibc.malloc.arena_max=1</c>:
/// BenchmarkDotNet's thread would otherwise get every 74 MB tensor from a fresh mmap (bench/README.md).
/// </summary>
[InProcess]
public class ItemLossBench
{
    const int Positions = 1536, Hidden = 64, Items = 12103;

    [Params("scores", "cross-entropy", "both")]
    public string Part { get; set; } = "";

    Tensor h = null!, table = null!, logits = null!, targets = null!, g = null!;

    /// <summary>GFLOP of the forward score product; the training step counts 3× (NaN for the cross-entropy alone).</summary>
    public static double ForwardGflop(string part) => part == "cross-entropy" ? double.NaN : 2.0 * Positions * Hidden * Items / 1e9;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.RetainFreedMemory();
        TorchRuntime.Seed(1);
        h = randn(Positions, Hidden).DetachFromDisposeScope().requires_grad_();
        table = (randn(Items, Hidden) * 0.1).DetachFromDisposeScope().requires_grad_();
        logits = randn(Positions, Items).DetachFromDisposeScope().requires_grad_();
        targets = randint(1, Items, Positions).DetachFromDisposeScope();
        g = randn(Positions, Items).DetachFromDisposeScope();
    }

    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = NewDisposeScope();
        switch (Part)
        {
            case "scores": autograd.grad([h.matmul(table.t())], [h, table], [g]); break;
            case "cross-entropy": autograd.grad([nn.functional.cross_entropy(logits, targets)], [logits]); break;
            default: autograd.grad([nn.functional.cross_entropy(h.matmul(table.t()), targets)], [h, table]); break;
        }
    }

    [GlobalCleanup]
    public void Cleanup() { foreach (var t in new[] { h, table, logits, targets, g }) t.Dispose(); }
}
