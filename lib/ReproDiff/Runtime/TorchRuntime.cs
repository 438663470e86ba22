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
    /// Keeps memory that libtorch frees inside the process (glibc only): no mmap for large blocks (<c>M_MMAP_MAX</c> 0)
    /// and no trimming of the heap (<c>M_TRIM_THRESHOLD</c> 1 GiB). libtorch's CPU allocator has no cache, so by default
    /// a tensor above glibc's mmap threshold is a fresh mmap whose pages the kernel faults in anew at every step; on the
    /// 2-core VM of environment/README.md that was 15% (DiffuRec) to 75% (GRU4Rec) of an epoch. Costs peak memory.
    /// Returns what it did (also kept in <see cref="Allocator"/>), or null when it did nothing: not Linux/glibc,
    /// <c>REPRODIFF_ALLOCATOR=default</c>, or <c>MALLOC_*</c> variables that tune glibc already. It covers the process's
    /// first thread fully; a thread served by a secondary arena (the .NET Interactive kernel runs cells on one) still
    /// mmaps blocks over 64 MiB, unless the process starts with <c>GLIBC_TUNABLES=glibc.malloc.arena_max=1</c>
    /// (environment/README.md, "Notebooks"; the kernel runner sets it).
    /// </summary>
    public static string? RetainFreedMemory()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("REPRODIFF_ALLOCATOR") == "default") return null;
        if (Environment.GetEnvironmentVariables().Keys.Cast<string>().Any(k => k.StartsWith("MALLOC_", StringComparison.Ordinal))) return null;
        try
        {
            const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;
            if (mallopt(M_MMAP_MAX, 0) != 1 || mallopt(M_TRIM_THRESHOLD, 1 << 30) != 1) return null;
            return Allocator = "glibc: mmap off, trim threshold 1 GiB";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; } // musl and others
    }

    /// <summary>The allocator setting of this process: what <see cref="RetainFreedMemory"/> made, else the C library's defaults.</summary>
    public static string Allocator { get; private set; } = "C library defaults";

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallopt")]
    static extern int mallopt(int param, int value);

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
