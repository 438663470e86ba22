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
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = repo };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var run = await ChildProcess.RunAsync(psi, TimeSpan.FromMinutes(20), cancel);
        return (run.TimedOut ? -1 : run.ExitCode, run.TimedOut ? "timed out after 20 minutes" : run.Stdout + run.Stderr);
    }

    /// <summary>
    /// KaTeX's dist folder for the book: the npm package pinned in tools/book (package-lock.json), installed with
    /// <c>npm ci</c> the first time. Throws a <see cref="ReproDiffException"/> naming the fix when npm is missing or fails.
    /// </summary>
    public static async Task<string> KatexAsync(string repo, CancellationToken cancel = default)
    {
        var tools = Path.Combine(repo, "tools", "book");
        var dist = Path.Combine(tools, "node_modules", "katex", "dist");
        if (File.Exists(Path.Combine(dist, "katex.min.js"))) return dist;
        var psi = new ProcessStartInfo("npm") { WorkingDirectory = tools };
        foreach (var a in new[] { "ci", "--no-audit", "--no-fund" }) psi.ArgumentList.Add(a);
        ChildResult run;
        try { run = await ChildProcess.RunAsync(psi, TimeSpan.FromMinutes(10), cancel); }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ReproDiffException("the book typesets maths with KaTeX from npm, and npm was not found; install Node.js, or run `npm ci` in tools/book elsewhere.");
        }
        if (run.TimedOut || run.ExitCode != 0 || !File.Exists(Path.Combine(dist, "katex.min.js")))
            throw new ReproDiffException($"`npm ci` in tools/book failed ({(run.TimedOut ? "timed out" : $"exit code {run.ExitCode}")}): {run.Tail(1)}");
        return dist;
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
