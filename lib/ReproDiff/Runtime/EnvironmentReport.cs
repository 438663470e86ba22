using System.Runtime.InteropServices;
using TorchSharp;

namespace ReproDiff.Runtime;

/// <summary>What a result was computed on. Attached to every result file so a number can be traced to its machine.</summary>
public sealed record EnvironmentReport(
    string Os,
    string DotNet,
    string TorchSharp,
    string LibTorch,
    string Backend,
    bool CudaAvailable,
    int CudaDevices,
    int Threads,
    int Cores,
    string? GitCommit,
    string Machine,
    DateTimeOffset Timestamp,
    string? Allocator = null)
{
    /// <summary>Captures the current process's environment. Loads libtorch.</summary>
    public static EnvironmentReport Capture()
    {
        var tsVersion = typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?";
        return new EnvironmentReport(
            Os: RuntimeInformation.OSDescription,
            DotNet: RuntimeInformation.FrameworkDescription,
            TorchSharp: tsVersion,
            LibTorch: LibTorchVersion(),
            Backend: TorchRuntime.Backend,
            CudaAvailable: torch.cuda.is_available(),
            CudaDevices: torch.cuda.is_available() ? torch.cuda.device_count() : 0,
            Threads: torch.get_num_threads(),
            Cores: Environment.ProcessorCount,
            GitCommit: RepositoryLocator.BuildCommit() ?? RepositoryLocator.GitCommit(), // the code that runs, else the checkout's HEAD
            Machine: Environment.MachineName,
            Timestamp: DateTimeOffset.UtcNow,
            Allocator: TorchRuntime.Allocator);
    }

    /// <summary>libtorch's version as shipped in the native package (TorchSharp pins one libtorch per release).</summary>
    static string LibTorchVersion()
    {
        // The native package carries no managed assembly; its version is in the deps file of the host.
        var deps = AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string;
        foreach (var file in (deps ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!File.Exists(file)) continue;
            var m = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(file), "\"libtorch-(?:cpu|cuda)[^/\"]*/([0-9.]+)\"");
            if (m.Success) return m.Groups[1].Value;
        }
        return "unknown";
    }

    /// <summary>Lines of "name: value" for the CLI and notebooks.</summary>
    public IEnumerable<(string Name, string Value)> Rows() =>
    [
        ("OS", Os), (".NET", DotNet), ("TorchSharp", TorchSharp), ("libtorch", LibTorch), ("backend", Backend),
        ("CUDA", CudaAvailable ? $"yes ({CudaDevices} device(s))" : "no"), ("threads", $"{Threads} of {Cores} cores"),
        ("git commit", GitCommit ?? "(not a git checkout)"), ("machine", Machine), ("time (UTC)", Timestamp.ToString("u")),
        ("allocator", Allocator ?? "not recorded"),
    ];
}
