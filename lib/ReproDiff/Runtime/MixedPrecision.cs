using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Runtime;

/// <summary>The floating-point precision of training: fp32 throughout, or bf16 mixed precision (fp32 master weights).</summary>
public enum Precision { Fp32, Bf16 }

/// <summary>
/// bf16 mixed precision through libtorch's own autocast, which TorchSharp 0.107.0 does not expose (notebook-kernel-facts.md §1):
/// inside a region, matmul-like ops (linear, matmul, bmm, addmm, scaled dot-product attention) run in bf16 on oneDNN's
/// AVX512-BF16 kernels, the losses on autocast's fp32 list (mse, cross-entropy, nll, kl_div) in fp32, and weights, their
/// gradients and the optimiser state stay fp32. The switch is thread-local, so a region opens and closes on one thread, and
/// closing clears autocast's cache of weight casts (stale after an optimiser step; Python's <c>autocast.__exit__</c> does
/// the same). The entry points are libtorch 2.10's Itanium-mangled C++ names: Linux and macOS only, pinned by a test.
/// </summary>
public static class MixedPrecision
{
    public static Precision Parse(string? name) => (name ?? "fp32").Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => Precision.Fp32,
        "bf16" or "bfloat16" => Precision.Bf16,
        _ => throw new ReproDiffException($"--precision {name}: unknown precision; use fp32 or bf16."),
    };

    public static string Name(this Precision precision) => precision == Precision.Bf16 ? "bf16" : "fp32";

    /// <summary>
    /// Throws a <see cref="ReproDiffException"/> naming <c>--precision</c> unless <paramref name="precision"/> can run on
    /// <paramref name="device"/>: bf16 needs a CPU that multiplies bf16 natively (AVX512-BF16 or AMX-BF16; elsewhere libtorch
    /// emulates it, slower than fp32) or CUDA, and libtorch's autocast entry points (Linux, macOS).
    /// </summary>
    public static void Check(Precision precision, Device device)
    {
        if (precision == Precision.Fp32) return;
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            throw new ReproDiffException("--precision bf16: reaches libtorch's autocast by its Linux/macOS symbol names; use fp32 on this system.");
        if (device.type == DeviceType.CPU && !Training.Flops.CpuHasBf16())
            throw new ReproDiffException("--precision bf16: this CPU has no native bf16 multiply (no avx512_bf16 or amx_bf16 in /proc/cpuinfo); " +
                "libtorch would emulate it, slower than fp32. Use fp32.");
        try { zeros(1).Dispose(); _ = is_autocast_enabled(DeviceCode(device)); } // TorchSharp loads libtorch first
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new ReproDiffException($"--precision bf16: libtorch's autocast switch was not found ({e.Message.Split('\n')[0]}); this package expects libtorch 2.10. Use fp32.");
        }
    }

    /// <summary>
    /// Opens a bf16 autocast region for <paramref name="device"/>'s type on this thread; disposing it restores the earlier
    /// state and clears the cast cache. Null for fp32 (nothing to switch), so <c>using (MixedPrecision.Region(…))</c> serves both.
    /// </summary>
    public static IDisposable? Region(Precision precision, Device device) => precision == Precision.Fp32 ? null : new AutocastRegion(DeviceCode(device));

    /// <summary>Whether this thread is inside a <see cref="Region"/> of bf16 (managed bookkeeping, no call into libtorch).</summary>
    public static bool InRegion => openRegions > 0;

    [ThreadStatic] static int openRegions;

    /// <summary>Whether autocast is on for <paramref name="device"/>'s type on this thread.</summary>
    public static bool IsEnabled(Device device) => is_autocast_enabled(DeviceCode(device));

    static sbyte DeviceCode(Device device) => device.type == DeviceType.CUDA ? (sbyte)1 : (sbyte)0; // c10::DeviceType: CPU 0, CUDA 1

    sealed class AutocastRegion : IDisposable
    {
        const sbyte BFloat16 = 15; // c10::ScalarType::BFloat16
        readonly sbyte device;
        readonly bool wasEnabled;
        readonly sbyte previousType;
        bool closed;

        public AutocastRegion(sbyte device)
        {
            this.device = device;
            wasEnabled = is_autocast_enabled(device);
            previousType = get_autocast_dtype(device);
            set_autocast_dtype(device, BFloat16);
            set_autocast_enabled(device, true);
            openRegions++;
        }

        public void Dispose()
        {
            if (closed) return;
            closed = true;
            openRegions--;
            set_autocast_enabled(device, wasEnabled);
            set_autocast_dtype(device, previousType);
            if (!wasEnabled) clear_cache();
        }
    }

    const string LibTorch = "libtorch_cpu"; // already loaded by TorchSharp: the loader returns that copy

    [DllImport(LibTorch, EntryPoint = "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb")]
    static extern void set_autocast_enabled(sbyte deviceType, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(LibTorch, EntryPoint = "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE")]
    [return: MarshalAs(UnmanagedType.U1)]
    static extern bool is_autocast_enabled(sbyte deviceType);

    [DllImport(LibTorch, EntryPoint = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE")]
    static extern void set_autocast_dtype(sbyte deviceType, sbyte scalarType);

    [DllImport(LibTorch, EntryPoint = "_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE")]
    static extern sbyte get_autocast_dtype(sbyte deviceType);

    [DllImport(LibTorch, EntryPoint = "_ZN2at8autocast11clear_cacheEv")]
    static extern void clear_cache();
}
