using System.Diagnostics;
using System.Text.Json;

namespace ReproDiff.Notebooks;

/// <summary>
/// Runs each notebook in its own child process (<c>ReproDiff.Cli.dll notebooks exec</c>), so that process-global state
/// (working directory, Console, libtorch's generator) never leaks between notebooks and a native abort (TorchSharp's
/// matmul on bad shapes calls std::terminate) fails that notebook only.
/// </summary>
public static class NotebookProcess
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The CLI assembly beside the calling program (the CLI itself, or a test project that references it).</summary>
    public static string DefaultCli => Path.Combine(AppContext.BaseDirectory, "ReproDiff.Cli.dll");

    public static async Task<NotebookResult> RunAsync(
        string notebook, NotebookRunOptions options, TimeSpan timeout, string? cli = null, CancellationToken cancel = default)
    {
        cli ??= DefaultCli;
        if (!File.Exists(cli)) throw new FileNotFoundException($"the notebook runner needs {cli}; build lib/ReproDiff.Cli.", cli);
        var output = options.OutputPath ?? Path.Combine(Path.GetTempPath(), $"reprodiff-{Guid.NewGuid():N}.ipynb");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        var resultFile = output + ".result.json";
        File.Delete(resultFile);

        var psi = new ProcessStartInfo("dotnet");
        foreach (var a in new[] { cli, "notebooks", "exec", Path.GetFullPath(notebook), "--out", output, "--result", resultFile })
            psi.ArgumentList.Add(a);
        if (options.Profile is not null) { psi.ArgumentList.Add("--profile"); psi.ArgumentList.Add(options.Profile); }
        foreach (var (k, v) in options.Parameters) { psi.ArgumentList.Add("--param"); psi.ArgumentList.Add($"{k}={v}"); }

        var run = await ChildProcess.RunAsync(psi, timeout, cancel);
        if (run.TimedOut) return Failed(notebook, run.Elapsed, $"{Path.GetFileName(notebook)}: timed out after {timeout.TotalSeconds:F0} s (killed).");

        if (File.Exists(resultFile))
        {
            var result = JsonSerializer.Deserialize<NotebookResult>(await File.ReadAllTextAsync(resultFile, CancellationToken.None), Json)!;
            File.Delete(resultFile);
            return options.OutputPath is null ? result with { ExecutedPath = null } : result;
        }
        var how = run.ExitCode > 128 ? $"was killed by signal {run.ExitCode - 128}" : $"exited with code {run.ExitCode}";
        return Failed(notebook, run.Elapsed, $"{Path.GetFileName(notebook)}: the notebook process {how} before reporting: {run.Tail()}");
    }

    static NotebookResult Failed(string notebook, TimeSpan elapsed, string error) => new()
    {
        Notebook = Path.GetFileName(notebook), Status = "failed", Seconds = elapsed.TotalSeconds, Error = error,
    };
}
