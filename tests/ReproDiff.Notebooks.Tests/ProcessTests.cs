namespace ReproDiff.Notebooks.Tests;

/// <summary>Each notebook in its own process: a native abort fails that notebook only, and results come back as data.</summary>
public class ProcessTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task NativeAbortFailsOnlyThatNotebook()
    {
        // TorchSharp's matmul has no CATCH wrapper: bad shapes call std::terminate (SIGABRT), killing the process.
        var crash = NotebookBuilder.WithCell("using TorchSharp;\nvar z = torch.ones(2, 2).matmul(torch.ones(3, 3));", "crash.ipynb");
        var fine = NotebookBuilder.WithCell("ResultsChannel.Record(\"after_crash\", 1.0);", "fine.ipynb");
        var crashed = await NotebookProcess.RunAsync(crash, new NotebookRunOptions(), Timeout);
        Assert.False(crashed.Passed);
        Assert.Contains("crash.ipynb: the notebook process was killed by signal 6", crashed.Error);
        var after = await NotebookProcess.RunAsync(fine, new NotebookRunOptions(), Timeout);
        Assert.True(after.Passed, after.Error);
        Assert.Equal(1.0, after.Number("after_crash"));
    }

    [Fact]
    public async Task FailuresAndParameterErrorsComeBackAsResults()
    {
        var broken = NotebookBuilder.WithCell("int x = \"s\";", "broken.ipynb");
        var r = await NotebookProcess.RunAsync(broken, new NotebookRunOptions(), Timeout);
        Assert.StartsWith("broken.ipynb#cell3(1,9): error CS0029", r.Error);
        var badParam = await NotebookProcess.RunAsync(NotebookBuilder.WithCell("1"),
            new NotebookRunOptions { Parameters = new Dictionary<string, string> { ["Nope"] = "1" } }, Timeout);
        Assert.Equal("--param Nope: the parameters cell has no 'Nope' (it has: Profile, Seed).", badParam.Error);
    }

    [Fact]
    public async Task TimeoutKillsTheNotebook()
    {
        var slow = NotebookBuilder.WithCell("System.Threading.Thread.Sleep(60_000);", "slow.ipynb");
        var r = await NotebookProcess.RunAsync(slow, new NotebookRunOptions(), TimeSpan.FromSeconds(5));
        Assert.Equal("slow.ipynb: timed out after 5 s (killed).", r.Error);
    }
}
