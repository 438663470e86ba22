using System.Diagnostics;

namespace ReproDiff.Notebooks;

/// <summary>
/// What a notebook needs before it runs in a kernel (environment/README.md, "Notebooks"): the library published with
/// its dependencies and the current platform's TorchSharp natives into <c>artifacts/notebook</c> (the GLIBCXX fix of
/// Directory.Build.targets applies to published copies), and the kernel tools of dotnet-tools.json restored.
/// </summary>
public static class NotebookSetup
{
    public static string PublishFolder(string repo) => Path.Combine(repo, "artifacts", "notebook");

    public static IEnumerable<(string What, string[] Args)> Steps(string repo) =>
    [
        ("dotnet tool restore (dotnet-repl, dotnet-interactive)", ["tool", "restore"]),
        ("dotnet publish lib/ReproDiff into artifacts/notebook",
            ["publish", Path.Combine(repo, "lib", "ReproDiff", "ReproDiff.csproj"), "-c", "Release", "--use-current-runtime",
             "--self-contained", "false", "-o", PublishFolder(repo), "--nologo", "-v", "quiet"]),
    ];

    public static async Task<(int ExitCode, string Output)> RunAsync(string repo, IEnumerable<string> args, CancellationToken cancel = default)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(cancel);
        var stderr = p.StandardError.ReadToEndAsync(cancel);
        await p.WaitForExitAsync(cancel);
        return (p.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>Runs every step; throws with the tool's output when one fails.</summary>
    public static async Task EnsureAsync(string repo, CancellationToken cancel = default)
    {
        foreach (var (what, args) in Steps(repo))
        {
            var (code, output) = await RunAsync(repo, args, cancel);
            if (code != 0) throw new InvalidOperationException($"{what} failed (exit code {code}):\n{output}");
        }
    }
}
