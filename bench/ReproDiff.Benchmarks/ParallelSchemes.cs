// Issue 16: ways to spend the second core on one training step (ParallelSchemesBench: DiffRec's denoiser step with its
// draws in the model's order, so that its splits keep a seed's stream; IndependentStepsBench: the library's whole DiffRec
// and L-DiffRec steps), against two independent steps at once. Not on the library's path: measured here to decide whether
// one should be (bench/README.md, "Ways to split one step").
using BenchmarkDotNet.Attributes;
using ReproDiff.Diffusion;
using ReproDiff.Models;
using ReproDiff.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Benchmarks;

/// <summary>
/// One DiffRec training step (400 users × 2,810 items, dims [200, 600], as <see cref="DiffRecDenoiserBench"/>): draws,
/// forward, MSE to x_0, backward, AdamW. <see cref="Scheme"/>:
/// <list type="bullet">
/// <item><c>intra-op</c>: what the library does; libtorch splits each operation over its threads (two here).</item>
/// <item><c>draws ahead</c>: a second .NET thread (one libtorch thread) draws the next step's numbers while this step
/// computes; the steps still consume the generator one after the other.</item>
/// <item><c>halves</c>: two .NET threads, one libtorch thread each, take 200 users each (forward and backward at the same
/// time, gradients summed by autograd); the draws are the whole batch's, drawn first; AdamW on the calling thread.</item>
/// <item><c>one thread</c>: the step on one libtorch thread, for reference.</item>
/// <item><c>halves, one thread</c>: the halves' work one after the other on one libtorch thread (what halving the batch costs).</item>
/// <item><c>two steps at once</c>: not a split but a reference for independent work in one process: two .NET threads on one
/// libtorch thread each run a whole step of two separate models (their own weights and AdamW; their draws interleave
/// on the default generator, so no seed fixes them). One invocation is two steps' work.</item>
/// </list>
/// </summary>
[InProcess]
public class ParallelSchemesBench
{
    const int Users = DiffRecDenoiserBench.Users, Items = DiffRecDenoiserBench.Items, Steps = 40;
    const double Dropout = 0.5;
    static readonly (long Start, long Length)[] Halves = Worker.Halves(Users);

    [Params("intra-op", "draws ahead", "halves", "one thread", "halves, one thread", "two steps at once")]
    public string Scheme { get; set; } = "intra-op";

    DiffRecDenoiser net = null!;
    optim.Optimizer optimizer = null!;
    DiffRecDenoiser? net2;
    optim.Optimizer? optimizer2;
    Tensor x = null!;
    int defaultThreads, expectedThreads, seenThreads;
    Task<Draws>? ahead;
    readonly Worker?[] workers = new Worker?[2];
    Worker? drawer;

    sealed record Draws(Tensor T, Tensor Noise, Tensor Mask) : IDisposable
    {
        public void Dispose() { T.Dispose(); Noise.Dispose(); Mask.Dispose(); }
        /// <summary>Out of the drawing thread's dispose scope: the step that uses them disposes them.</summary>
        public Draws Detached() { T.DetachFromDisposeScope(); Noise.DetachFromDisposeScope(); Mask.DetachFromDisposeScope(); return this; }
        public Draws Rows(long start, long length) => new(T.narrow(0, start, length), Noise.narrow(0, start, length), Mask.narrow(0, start, length));
    }

    /// <summary>In the model's order: the steps, the forward process's noise, the input's dropout mask (nn.Dropout's bernoulli_ then the 1/(1 − p) scale).</summary>
    static Draws Draw() =>
        new(randint(0, Steps, [Users], dtype: int64), randn(Users, Items), empty(Users, Items).bernoulli_(1 - Dropout).div_(1 - Dropout));

    /// <summary>The rows' share of the batch's mean MSE, so that the halves' gradients add up to the whole batch's.</summary>
    Tensor Loss(Tensor x0, Draws d, DiffRecDenoiser? model = null)
    {
        var xt = x0 * 0.99 + d.Noise * 0.1;                          // q(x_t | x_0) at one scale: the work, not the schedule
        var output = (model ?? net).call(xt * d.Mask, d.T);
        return (output - x0).square().mean([1]).sum() / Users;
    }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.RetainFreedMemory();
        defaultThreads = get_num_threads();
        TorchRuntime.Seed(1);
        net = new DiffRecDenoiser(Items, DiffRecDenoiserBench.Dims, 10, 0);   // dropout 0: the mask is applied in Loss
        net.train();
        optimizer = optim.AdamW(net.parameters(), lr: 1e-3);
        x = rand(Users, Items).lt(0.024).to_type(float32).DetachFromDisposeScope();
        expectedThreads = Scheme.Contains("one thread", StringComparison.Ordinal) ? 1 : defaultThreads;
        set_num_threads(expectedThreads);
        if (Scheme is "halves" or "two steps at once")
            for (int i = 0; i < 2; i++) workers[i] = new Worker();
        if (Scheme == "two steps at once")
        {
            net2 = new DiffRecDenoiser(Items, DiffRecDenoiserBench.Dims, 10, 0);
            net2.train();
            optimizer2 = optim.AdamW(net2.parameters(), lr: 1e-3);
        }
        if (Scheme == "draws ahead")
        {
            drawer = new Worker();
            ahead = drawer.Run(() => Draw().Detached());
        }
    }

    [Benchmark]
    public void TrainStep()
    {
        seenThreads = get_num_threads();
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        switch (Scheme)
        {
            case "draws ahead":
                using (var d = ahead!.Result)
                {
                    ahead = drawer!.Run(() => Draw().Detached());
                    Loss(x, d).backward();
                }
                break;
            case "halves":
                var all = Draw();
                Task.WaitAll(Halves.Select((h, i) => workers[i]!.Run(() => { Loss(x.narrow(0, h.Start, h.Length), all.Rows(h.Start, h.Length)).backward(); return 0; })).ToArray());
                break;
            case "halves, one thread":
                var both = Draw();
                foreach (var h in Halves) Loss(x.narrow(0, h.Start, h.Length), both.Rows(h.Start, h.Length)).backward();
                break;
            case "two steps at once":
                Task.WaitAll(new[] { (net, optimizer), (net2!, optimizer2!) }.Select((m, i) => workers[i]!.Run(() =>
                {
                    m.Item2.zero_grad();
                    Loss(x, Draw(), m.Item1).backward();
                    m.Item2.step();
                    return 0;
                })).ToArray());
                return;
            default:
                Loss(x, Draw()).backward();
                break;
        }
        optimizer.step();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        ahead?.Result.Dispose();
        drawer?.Dispose();
        foreach (var w in workers) w?.Dispose();
        Array.Clear(workers);
        set_num_threads(defaultThreads);
        x.Dispose(); optimizer.Dispose(); net.Dispose(); optimizer2?.Dispose(); net2?.Dispose();
        if (seenThreads != expectedThreads)
            throw new InvalidOperationException($"{Scheme}: the step ran on {seenThreads} libtorch threads, expected {expectedThreads}.");
    }
}

/// <summary>A dedicated thread on one libtorch thread (its own OpenMP setting) that runs one job at a time, each in its own dispose scope.</summary>
internal sealed class Worker : IDisposable
{
    readonly System.Collections.Concurrent.BlockingCollection<Action> jobs = new();
    readonly Thread thread;

    public Worker()
    {
        thread = new Thread(() =>
        {
            set_num_threads(1);
            foreach (var job in jobs.GetConsumingEnumerable()) job();
        }) { IsBackground = true };
        thread.Start();
    }

    /// <summary>Runs <paramref name="f"/> on this thread inside a dispose scope (tensors it returns must leave the scope themselves).</summary>
    public Task<T> Run<T>(Func<T> f)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        jobs.Add(() =>
        {
            try
            {
                using var scope = NewDisposeScope();
                var result = f();
                done.SetResult(result);
            }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task;
    }

    public void Dispose() { jobs.CompleteAdding(); thread.Join(); jobs.Dispose(); }

    /// <summary>The two row ranges a batch of <paramref name="rows"/> splits into, one per worker.</summary>
    public static (long Start, long Length)[] Halves(long rows) => [(0, rows / 2), (rows / 2, rows - rows / 2)];
}

/// <summary>
/// The ceiling for any split of one step inside one process, with the library's own training steps: DiffRec's and
/// L-DiffRec's <c>ComputeLoss</c> (ML-1M clean's presets; 400 users × 2,810 items; L-DiffRec's two clusters drawn at random,
/// not by k-means), backward and AdamW. <see cref="Scheme"/>: <c>intra-op</c> (the library), <c>one thread</c>,
/// <c>two steps at once</c>: two .NET threads on one libtorch thread each run a whole step of a separate model (one
/// invocation is two steps; their draws interleave on the default generator), and <c>halves, draws interleaved</c>: the
/// step's 400 users split in two, each half's loss, forward and backward on a .NET thread of its own (one libtorch thread
/// each), the step sampler's draw and update for the whole batch on the calling thread; the dropouts and the noise are
/// drawn on the two threads as they go, so no seed fixes them: an optimistic bound for a split that keeps the stream,
/// which would draw them first on one thread.
/// </summary>
[InProcess]
public class IndependentStepsBench
{
    const int Users = DiffRecDenoiserBench.Users, Items = DiffRecDenoiserBench.Items;

    [Params("DiffRec", "L-DiffRec")]
    public string Model { get; set; } = "DiffRec";

    [Params("intra-op", "one thread", "two steps at once", "halves, draws interleaved")]
    public string Scheme { get; set; } = "intra-op";

    /// <summary>A model's step: its loss, its optimisers, and its loss over a half of the batch given the whole batch's steps (weighted per-user losses out).</summary>
    sealed record Trainable(Func<Tensor, Tensor> Loss, optim.Optimizer[] Optimizers, IDisposable Model, ITimestepSampler Sampler,
        Func<Tensor, Tensor, Tensor, (Tensor Loss, Tensor Weighted)> HalfLoss);

    Trainable[] models = [];
    readonly Worker?[] workers = new Worker?[2];
    Tensor x = null!;
    int defaultThreads, expectedThreads, seenThreads;

    Trainable Make()
    {
        if (Model == "DiffRec")
        {
            var m = new DiffRec(Items, DiffRecOptions.Preset("diffrec-ml-1m-clean"));
            m.Denoiser.train();
            return new(m.ComputeLoss, [optim.AdamW(m.Denoiser.parameters(), lr: m.Options.LearningRate)], m, m.Sampler!, (x0, t, pt) =>
            {
                var d = m.Diffusion!.TrainingLoss((xt, tt) => m.Denoiser.call(xt, tt), x0, t, pt, m.Options.MeanType, m.Options.Reweight);
                return (d.Loss.sum() / Users, d.Weighted);                       // the half's share of the batch mean
            });
        }
        var rng = new Random(1);
        var o = LDiffRecOptions.Preset("diffrec-ml-1m-clean");
        var l = new LDiffRec(Enumerable.Range(0, Items).Select(_ => (long)rng.Next(o.Clusters)).ToArray(), o);
        l.Autoencoder.train(); l.Denoiser.train();
        return new(l.ComputeLoss, [optim.AdamW(l.Autoencoder.parameters(), lr: o.LearningRateAutoencoder), optim.AdamW(l.Denoiser.parameters(), lr: o.LearningRateDenoiser)], l, l.Sampler,
            (x0, t, pt) =>
            {
                var loss = l.Losses(x0, 0, 0, t: t, pt: pt);
                return (loss.Total * (x0.shape[0] / (double)Users), loss.DiffusionWeighted);   // every term is a mean over the rows
            });
    }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.RetainFreedMemory();
        defaultThreads = get_num_threads();
        TorchRuntime.Seed(1);
        x = rand(Users, Items).lt(0.024).to_type(float32).DetachFromDisposeScope();
        expectedThreads = Scheme == "one thread" ? 1 : defaultThreads;
        set_num_threads(expectedThreads);
        models = Scheme == "two steps at once" ? [Make(), Make()] : [Make()];
        if (Scheme is "two steps at once" or "halves, draws interleaved")
            for (int i = 0; i < 2; i++) workers[i] = new Worker();
    }

    static readonly (long Start, long Length)[] Halves = Worker.Halves(Users);

    void HalvesStep(Trainable m)
    {
        using var scope = NewDisposeScope();
        foreach (var o in m.Optimizers) o.zero_grad();
        var (t, pt) = m.Sampler.Sample(Users, CPU);
        var weighted = Task.WhenAll(Halves.Select((h, i) => workers[i]!.Run(() =>
        {
            var (loss, w) = m.HalfLoss(x.narrow(0, h.Start, h.Length), t.narrow(0, h.Start, h.Length), pt.narrow(0, h.Start, h.Length));
            loss.backward();
            return w.detach().DetachFromDisposeScope();
        }))).Result;
        using (var all = cat(weighted, 0)) m.Sampler.Update(t, all);
        foreach (var w in weighted) w.Dispose();
        foreach (var o in m.Optimizers) o.step();
    }

    void Step(Trainable m)
    {
        using var scope = NewDisposeScope();
        foreach (var o in m.Optimizers) o.zero_grad();
        m.Loss(x).backward();
        foreach (var o in m.Optimizers) o.step();
    }

    [Benchmark]
    public void TrainStep()
    {
        seenThreads = get_num_threads();
        if (Scheme == "two steps at once")
            Task.WaitAll(models.Select((m, i) => workers[i]!.Run(() => { Step(m); return 0; })).ToArray());
        else if (Scheme == "halves, draws interleaved") HalvesStep(models[0]);
        else Step(models[0]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var w in workers) w?.Dispose();
        Array.Clear(workers);
        set_num_threads(defaultThreads);
        foreach (var m in models) { foreach (var o in m.Optimizers) o.Dispose(); m.Model.Dispose(); }
        x.Dispose();
        if (seenThreads != expectedThreads)
            throw new InvalidOperationException($"{Model}, {Scheme}: the step ran on {seenThreads} libtorch threads, expected {expectedThreads}.");
    }
}
