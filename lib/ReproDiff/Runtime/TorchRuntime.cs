using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Runtime;

/// <summary>Device resolution, seeding and thread count: the three process-wide knobs every run sets.</summary>
public static class TorchRuntime
{
    /// <summary>The backend this build was compiled for (<c>-p:ReproDiffBackend=cpu|cuda</c>).</summary>
    public static string Backend { get; } =
        typeof(TorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Backend")?.Value ?? "cpu";

    /// <summary>
    /// Resolves <c>auto|cpu|cuda</c> (also <c>cuda:N</c>) to a device. <c>auto</c> takes CUDA when libtorch sees a GPU.
    /// Asking for CUDA on a machine or build without it is a user error that says how to switch the backend.
    /// </summary>
    public static Device ResolveDevice(string? name = "auto")
    {
        var n = (name ?? "auto").Trim().ToLowerInvariant();
        if (n == "auto") return cuda.is_available() ? CUDA : CPU;
        if (n == "cpu") return CPU;
        if (n == "cuda" || n.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ReproDiffException(
                    $"--device {name}: CUDA is not available (backend '{Backend}', {cuda.device_count()} GPU(s) seen). " +
                    "Build with -p:ReproDiffBackend=cuda on a machine with an NVIDIA driver; see environment/README.md.");
            return n == "cuda" ? CUDA : new Device(n);
        }
        throw new ReproDiffException($"--device {name}: unknown device; use auto, cpu, cuda or cuda:N.");
    }

    /// <summary>Seeds libtorch's global generator (CPU and CUDA) and returns a seeded <see cref="Random"/> for host-side shuffling.</summary>
    /// <remarks>The torch generator is process-global: tests that rely on it must not run in parallel (tests/AssemblyInfo.cs).</remarks>
    public static Random Seed(int seed)
    {
        random.manual_seed(seed);
        if (cuda.is_available()) cuda.manual_seed_all(seed);
        return new Random(seed);
    }

    /// <summary>Sets libtorch's intra-op thread count; <c>null</c> or 0 keeps the default (one per core).</summary>
    public static int SetThreads(int? threads)
    {
        if (threads is < 0) throw new ReproDiffException($"--threads {threads}: must be 0 (default) or a positive count.");
        if (threads is > 0) set_num_threads(threads.Value);
        return get_num_threads();
    }

    /// <summary>
    /// Loads libtorch and runs one tiny training step. Returns null on success, else the reason it failed,
    /// with the GLIBCXX diagnosis when that is the cause (TorchSharp's own message blames a missing package).
    /// </summary>
    public static string? ProbeLibTorch()
    {
        try
        {
            using var scope = NewDisposeScope();
            var w = randn(4, 1, requires_grad: true);
            var loss = ones(8, 4).mm(w).pow(2).mean();
            loss.backward();
            return w.grad is null ? "autograd produced no gradient" : null;
        }
        catch (Exception e)
        {
            var msg = e.InnerException?.Message ?? e.Message;
            var libstdcxx = "/lib/x86_64-linux-gnu/libstdc++.so.6";
            if (OperatingSystem.IsLinux() && File.Exists(libstdcxx) && !File.ReadAllText(libstdcxx).Contains("GLIBCXX_3.4.32"))
                msg += " (this libstdc++ lacks GLIBCXX_3.4.32: the build's WeakenLibTorchSharpGlibcxx step must patch " +
                       "libLibTorchSharp.so in the output folder; see environment/README.md)";
            return msg.Split('\n')[0];
        }
    }
}
