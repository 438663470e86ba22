using System.Diagnostics;

namespace ReproDiff.Notebooks;

/// <summary>How a child process ended: its exit code and output, or a timeout (then it was killed with its children).</summary>
public sealed record ChildResult(bool TimedOut, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    /// <summary>The last lines of stderr and stdout, joined on one line, for an error message.</summary>
    public string Tail(int lines = 3) => string.Join(" | ", (Stderr + Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
}

/// <summary>Runs a child process to completion with captured output and a time limit (the runner, the kernel, set-up steps).</summary>
public static class ChildProcess
{
    public static async Task<ChildResult> RunAsync(ProcessStartInfo psi, TimeSpan timeout, CancellationToken cancel = default)
    {
        psi.RedirectStandardOutput = true; psi.RedirectStandardError = true; psi.UseShellExecute = false;
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(cancel);
        var stderr = p.StandardError.ReadToEndAsync(cancel);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        cts.CancelAfter(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            cancel.ThrowIfCancellationRequested();
            return new ChildResult(true, -1, "", "", watch.Elapsed);
        }
        return new ChildResult(false, p.ExitCode, await stdout, await stderr, watch.Elapsed);
    }
}
