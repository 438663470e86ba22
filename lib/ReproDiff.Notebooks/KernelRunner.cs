using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ReproDiff.Reporting;

namespace ReproDiff.Notebooks;

/// <summary>
/// Runs a notebook in the real .NET Interactive kernel through dotnet-repl (the local tool pinned in the repository's
/// dotnet-tools.json): the same kernel VS Code and Jupyter start. Parameters are applied to a copy written to a temp
/// folder; the kernel's working directory is the notebook's own folder (as in VS Code and Jupyter), so the notebook's
/// relative paths mean what they mean there. Recorded results reach us through <see cref="ResultsChannel.FileVariable"/>.
/// Unlike our runner, the kernel goes on after a failing cell; the first error is reported as <c>file#cellN: message</c>.
/// </summary>
public static class KernelRunner
{
    public static async Task<NotebookResult> RunAsync(string path, NotebookRunOptions options, TimeSpan timeout, CancellationToken cancel = default)
    {
        var nb = NotebookDocument.Load(path);
        NotebookParameters.Apply(nb, options); // validates every value before anything runs
        if (ToolManifest(Path.GetDirectoryName(nb.Path)!) is null)
            throw new ReproDiffException($"{nb.FileName}: the kernel runner uses the dotnet-repl pinned in a ReproDiff checkout's dotnet-tools.json, and none is above {Path.GetDirectoryName(nb.Path)}; put the notebook inside the checkout.");

        var work = Directory.CreateTempSubdirectory("reprodiff-kernel-").FullName;
        try
        {
            var input = Path.Combine(work, nb.FileName);
            var executed = Path.Combine(work, "executed.ipynb");
            var results = Path.Combine(work, "results.jsonl");
            nb.Save(input);

            // The kernel works in the notebook's folder, as VS Code and Jupyter start it (dotnet-repl's --working-dir did not
            // change the kernel's directory in 0.3.259, so the process starts there); dotnet-repl is found from there through
            // the checkout's tool manifest.
            var folder = Path.GetDirectoryName(nb.Path)!;
            var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = folder };
            foreach (var a in new[] { "tool", "run", "dotnet-repl", "--", "--run", input, "--exit-after-run", "--output-format", "ipynb", "--output-path", executed })
                psi.ArgumentList.Add(a);
            psi.Environment[ResultsChannel.FileVariable] = results;
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["GLIBC_TUNABLES"] = KernelTunables(Environment.GetEnvironmentVariable("GLIBC_TUNABLES"));

            var run = await ChildProcess.RunAsync(psi, timeout, cancel);
            if (run.TimedOut) return Failed(nb.FileName, run.Elapsed, $"{nb.FileName}: timed out in the kernel after {timeout.TotalSeconds:F0} s (killed).");
            if (!File.Exists(executed))
                return Failed(nb.FileName, run.Elapsed, $"{nb.FileName}: dotnet-repl exited with code {run.ExitCode} and wrote no notebook " +
                    $"(is the tool restored? run `dotnet tool restore` in the repository root): {run.Tail(4)}");

            var result = Read(nb.FileName, executed, results, run.Elapsed.TotalSeconds);
            if (run.ExitCode != 0 && result.Error is null)
                result = result with { Status = "failed", Error = $"{nb.FileName}: dotnet-repl exited with code {run.ExitCode} but no cell reported an error." };
            if (options.OutputPath is not null)
            {
                var target = Path.GetFullPath(options.OutputPath);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(executed, target + ".tmp", true);
                File.Move(target + ".tmp", target, true);
                result = result with { ExecutedPath = target };
            }
            return result;
        }
        finally { try { Directory.Delete(work, true); } catch (IOException) { } }
    }

    /// <summary>The dotnet-tools.json that <c>dotnet tool run</c> finds from <paramref name="folder"/>, or null.</summary>
    public static string? ToolManifest(string folder)
    {
        for (var d = new DirectoryInfo(folder); d is not null; d = d.Parent)
            foreach (var candidate in new[] { Path.Combine(d.FullName, "dotnet-tools.json"), Path.Combine(d.FullName, ".config", "dotnet-tools.json") })
                if (File.Exists(candidate)) return candidate;
        return null;
    }

    /// <summary>
    /// glibc's tunables for a kernel process: one malloc arena. The kernel runs cells on a thread other than the process's
    /// first, which glibc serves from a secondary arena whose heaps hold at most 64 MiB; a larger tensor (SASRec's logits
    /// over all items) is then a fresh mmap at every step whatever <c>TorchRuntime.RetainFreedMemory</c> set, and
    /// notebook 01's SASRec training took 363 s in the kernel, while the whole cell around it took 95 s in our runner
    /// (measured 1 Dec 2026). One arena puts every thread on the main heap. An existing setting is kept and extended.
    /// </summary>
    public static string KernelTunables(string? existing) =>
        string.IsNullOrEmpty(existing) ? "glibc.malloc.arena_max=1"
        : existing.Contains("glibc.malloc.arena_max", StringComparison.Ordinal) ? existing : existing + ":glibc.malloc.arena_max=1";

    /// <summary>Reads an executed notebook (dotnet-repl, Jupyter) and the results file into a <see cref="NotebookResult"/>.</summary>
    public static NotebookResult Read(string name, string executed, string resultsFile, double seconds)
    {
        var doc = JsonNode.Parse(File.ReadAllText(executed))!;
        var cells = doc["cells"]!.AsArray();
        int code = 0, run = 0;
        string? error = null;
        for (int i = 0; i < cells.Count; i++)
        {
            var c = cells[i]!;
            if ((string?)c["cell_type"] != "code") continue;
            var lang = (string?)c["metadata"]?["polyglot_notebook"]?["kernelName"] ?? (string?)c["metadata"]?["dotnet_interactive"]?["language"] ?? "csharp";
            if (lang is "markdown" or "html" or "mermaid") continue;
            code++;
            var failure = c["outputs"]?.AsArray().FirstOrDefault(o => (string?)o?["output_type"] == "error");
            if (failure is null) { run++; continue; }
            var lines = ((string?)failure["evalue"] ?? (string?)failure["ename"] ?? "error").Split('\n');
            var message = lines[0].Trim();
            // Compile errors carry (line,col); runtime errors carry no line numbers in this kernel, so name the cell's
            // innermost method instead (e.g. "at Boom()").
            var frame = lines.Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("at Submission#", StringComparison.Ordinal));
            var where = frame is null || frame.Contains("<<Initialize>>", StringComparison.Ordinal) ? "" : $" (in {frame[(frame.IndexOf('.') + 1)..]})";
            error ??= $"{name}#cell{i + 1}{(message.StartsWith('(') ? "" : ": ")}{message}{where}";
        }
        var recorded = new List<RecordedResult>();
        if (File.Exists(resultsFile))
            foreach (var line in File.ReadLines(resultsFile).Where(l => l.Length > 0))
            {
                var e = JsonDocument.Parse(line).RootElement;
                recorded.Add(new RecordedResult(e.GetProperty("name").GetString()!, e.GetProperty("value").Clone(),
                    e.TryGetProperty("unit", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null));
            }
        return new NotebookResult
        {
            Notebook = name, Status = error is null ? "passed" : "failed", CellsRun = run, CodeCells = code,
            Seconds = seconds, Error = error, Results = recorded,
        };
    }

    static NotebookResult Failed(string name, TimeSpan elapsed, string error) => new()
    {
        Notebook = name, Status = "failed", Seconds = elapsed.TotalSeconds, Error = error,
    };
}
