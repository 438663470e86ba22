namespace ReproDiff.Notebooks.Tests;

/// <summary>The real kernel (dotnet-repl) on small notebooks: failures named by notebook, cell and line; results read back.</summary>
public class KernelRunnerTests
{
    [Fact]
    public void KernelGetsOneMallocArenaAndKeepsOtherTunables()
    {
        Assert.Equal("glibc.malloc.arena_max=1", KernelRunner.KernelTunables(null));
        Assert.Equal("glibc.cpu.x86_avx=0:glibc.malloc.arena_max=1", KernelRunner.KernelTunables("glibc.cpu.x86_avx=0"));
        Assert.Equal("glibc.malloc.arena_max=4", KernelRunner.KernelTunables("glibc.malloc.arena_max=4"));   // the user's choice wins
    }

    [Fact]
    public async Task CompileErrorNamesNotebookCellAndLine()
    {
        var path = new NotebookBuilder(inCheckout: true)
            .Parameters("string Profile = \"quick\";")
            .Code("var ok = 1;\nint x = \"text\";")
            .Save("broken.ipynb");
        var r = await KernelRunner.RunAsync(path, new NotebookRunOptions(), TimeSpan.FromMinutes(5));
        Assert.False(r.Passed);
        Assert.StartsWith("broken.ipynb#cell2(2,9): error CS0029", r.Error);
        Assert.Equal(1, r.CellsRun);
    }

    [Fact]
    public async Task RuntimeErrorNamesNotebookCellAndMethod()
    {
        var path = new NotebookBuilder(inCheckout: true)
            .Parameters("string Profile = \"quick\";")
            .Code("var a = 1;\nvoid Boom() => throw new InvalidOperationException(\"boom\");\nBoom();")
            .Save("runtime.ipynb");
        var r = await KernelRunner.RunAsync(path, new NotebookRunOptions(), TimeSpan.FromMinutes(5));
        Assert.False(r.Passed);
        Assert.Equal("runtime.ipynb#cell2: System.InvalidOperationException: boom (in Boom())", r.Error);
    }

    [Fact]
    public async Task ParametersApplyAndResultsComeBackThroughTheResultsFile()
    {
        await CommittedNotebookTests.KernelSetup.Value;
        var b = new NotebookBuilder(inCheckout: true);
        var path = b
            .Code("#r \"nuget: Microsoft.Data.Analysis, 0.23.1\"\n#r \"" + Path.Combine(NotebookSetup.PublishFolder(Runtime.RepositoryLocator.FindRoot()!), "ReproDiff.dll") + "\"\nusing ReproDiff.Reporting;")
            .Parameters("string Profile = \"quick\";\nint Seed = 1;")
            .Code("ResultsChannel.Record(\"seed_twice\", 2 * Seed);\nResultsChannel.Record(\"profile\", Profile);\nSystem.IO.File.WriteAllText(\"here.txt\", \"x\");")
            .Save("ok.ipynb");
        var output = Path.Combine(b.Folder, "out", "executed.ipynb");
        var r = await KernelRunner.RunAsync(path, new NotebookRunOptions { Profile = "full", Parameters = new Dictionary<string, string> { ["Seed"] = "21" }, OutputPath = output }, TimeSpan.FromMinutes(5));
        Assert.True(r.Passed, r.Error);
        Assert.Equal(42, r.Number("seed_twice"));
        Assert.Equal("full", r.Text("profile"));
        Assert.True(File.Exists(Path.Combine(b.Folder, "here.txt")), "the kernel works in the notebook's folder");
        Assert.True(File.Exists(output));
    }

    [Fact]
    public async Task ABadParameterFailsBeforeTheKernelStarts()
    {
        var path = new NotebookBuilder(inCheckout: true).Parameters("int Seed = 1;").Code("System.IO.File.WriteAllText(\"ran.txt\", \"x\");").Save();
        var e = await Assert.ThrowsAsync<ReproDiffException>(() =>
            KernelRunner.RunAsync(path, new NotebookRunOptions { Parameters = new Dictionary<string, string> { ["Seed"] = "abc" } }, TimeSpan.FromMinutes(5)));
        Assert.Contains("--param Seed=abc: expected an integer", e.Message);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "ran.txt")));
    }

    [Fact]
    public async Task ANotebookOutsideACheckoutIsOneClearError()
    {
        var path = new NotebookBuilder().Parameters("int Seed = 1;").Save();
        var e = await Assert.ThrowsAsync<ReproDiffException>(() => KernelRunner.RunAsync(path, new NotebookRunOptions(), TimeSpan.FromMinutes(5)));
        Assert.Contains("dotnet-tools.json", e.Message);
    }
}
