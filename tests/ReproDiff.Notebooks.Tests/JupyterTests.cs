using System.Diagnostics;

namespace ReproDiff.Notebooks.Tests;

/// <summary>A fact that needs Jupyter's nbconvert (Debian: jupyter-nbconvert, which .ci/run installs); skipped with the reason without it.</summary>
public sealed class JupyterFactAttribute : FactAttribute
{
    public JupyterFactAttribute()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("jupyter", "nbconvert --version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.WaitForExit(60_000);
            if (p.ExitCode != 0) Skip = "jupyter nbconvert is not installed (apt install jupyter-nbconvert python3-ipykernel)";
        }
        catch (System.ComponentModel.Win32Exception) { Skip = "jupyter is not installed (apt install jupyter-nbconvert python3-ipykernel)"; }
    }
}

/// <summary>
/// The Jupyter path readers use: a .net-csharp kernelspec starting the pinned kernel, `jupyter nbconvert --execute`, on
/// notebook 04 (real data, DataFrames, charts; the quickest chapter, so the path costs CI little).
/// </summary>
public class JupyterTests
{
    [JupyterFact]
    public async Task Notebook04RunsUnderJupyterAndRecordsWhatTheRunnerRecords()
    {
        await CommittedNotebookTests.KernelSetup.Value;
        var repo = Runtime.RepositoryLocator.FindRoot()!;
        var work = Directory.CreateTempSubdirectory("reprodiff-jupyter").FullName;
        var kernels = Directory.CreateDirectory(Path.Combine(work, "kernels")).FullName;
        var (code, output) = await NotebookSetup.RunAsync(repo, ["tool", "run", "dotnet-interactive", "--", "jupyter", "install", "--path", kernels]);
        Assert.True(code == 0, output);

        var notebook = Path.Combine(repo, "notebooks", "04-comparison.ipynb");
        var executed = Path.Combine(work, "executed.ipynb");
        var results = Path.Combine(work, "results.jsonl");
        var psi = new ProcessStartInfo("jupyter") { WorkingDirectory = Path.GetDirectoryName(notebook)! };
        foreach (var a in new[] { "nbconvert", "--to", "notebook", "--execute", notebook, "--output", executed, "--ExecutePreprocessor.timeout=900" })
            psi.ArgumentList.Add(a);
        psi.Environment["JUPYTER_PATH"] = work;
        psi.Environment[Reporting.ResultsChannel.FileVariable] = results;
        var run = await ChildProcess.RunAsync(psi, TimeSpan.FromMinutes(20));
        Assert.True(!run.TimedOut && run.ExitCode == 0, run.Stderr);

        var jupyter = KernelRunner.Read("04-comparison.ipynb", executed, results, 0);
        Assert.True(jupyter.Passed, jupyter.Error);
        var html = File.ReadAllText(executed);
        Assert.Contains(Reporting.Plots.LibraryMarker, html);      // plotly.js inline in the first chart
        Assert.Contains("<table id=\\\"table_", html);             // a DataFrame rendered by the kernel's own formatter
        var runner = await CommittedNotebookTests.InRunnerForOtherTests("04-comparison.ipynb");
        CommittedNotebookTests.AssertSameResults("04-comparison.ipynb", runner, jupyter);
    }
}
