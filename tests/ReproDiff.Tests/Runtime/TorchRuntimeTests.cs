using ReproDiff.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void LibTorchLoadsAndATrainingStepRuns()
    {
        Assert.Null(TorchRuntime.ProbeLibTorch());
        TorchRuntime.Seed(0);
        using var scope = NewDisposeScope();
        var model = nn.Sequential(nn.Linear(4, 16), nn.SiLU(), nn.Linear(16, 1));
        var opt = optim.AdamW(model.parameters(), lr: 1e-2);
        var x = randn(64, 4);
        var y = x.sum(1, keepdim: true);
        double first = 0, last = 0;
        for (int i = 0; i < 50; i++)
        {
            using var step = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            opt.step();
            if (i == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < first / 4, $"loss went from {first} to {last}");
    }

    [Fact]
    public void SameSeedSameNumbersDifferentSeedDifferent()
    {
        float[] Draw(int seed) { TorchRuntime.Seed(seed); using var t = randn(8); return t.data<float>().ToArray(); }
        Assert.Equal(Draw(42), Draw(42));
        Assert.NotEqual(Draw(42), Draw(7));
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void DeviceResolves(string name)
    {
        var d = TorchRuntime.ResolveDevice(name);
        Assert.Equal(cuda.is_available() && name == "auto" ? DeviceType.CUDA : DeviceType.CPU, d.type);
    }

    [Fact]
    public void UnknownDeviceIsAUserErrorNamingTheOption()
    {
        var e = Assert.Throws<ReproDiffException>(() => TorchRuntime.ResolveDevice("tpu"));
        Assert.Contains("--device tpu", e.Message);
    }

    [Fact]
    public void CudaWithoutAGpuSaysHowToSwitch()
    {
        if (cuda.is_available()) return; // on a GPU machine the request is valid
        var e = Assert.Throws<ReproDiffException>(() => TorchRuntime.ResolveDevice("cuda"));
        Assert.Contains("ReproDiffBackend=cuda", e.Message);
    }

    [Fact]
    public void ThreadsCanBeSetAndNegativeIsRejected()
    {
        var before = get_num_threads();
        try
        {
            Assert.Equal(1, TorchRuntime.SetThreads(1));
            Assert.Equal(1, TorchRuntime.SetThreads(null));
            Assert.Throws<ReproDiffException>(() => TorchRuntime.SetThreads(-1));
        }
        finally { set_num_threads(before); }
    }

    [Fact]
    public void EnvironmentReportNamesVersionsAndBackend()
    {
        var env = EnvironmentReport.Capture();
        Assert.Equal("0.107.0", env.TorchSharp);
        Assert.Equal("2.10.0", env.LibTorch);
        Assert.Equal("cpu", env.Backend);
        Assert.True(env.Threads >= 1);
        Assert.Contains(env.Rows(), r => r.Name == "git commit");
    }

    [Fact]
    public void RunsRecordTheCommitTheLibraryWasBuiltFrom()
    {
        // built from this checkout by the test run: the SDK's stamp is the checkout's HEAD, and the environment records it
        var head = RepositoryLocator.GitCommit();
        Assert.NotNull(head);
        Assert.Equal(head, RepositoryLocator.BuildCommit());
        Assert.Equal(head, EnvironmentReport.Capture().GitCommit);
    }

    [Fact]
    public void TheCommitOfALinkedWorktreeIsReadFromTheCommonRefs()
    {
        // git worktree's layout: <wt>/.git is a file naming <main>/.git/worktrees/<wt>, which holds HEAD and "commondir";
        // the branch's ref sits in <main>/.git, loose or packed
        var dir = Directory.CreateTempSubdirectory("reprodiff-worktree-").FullName;
        try
        {
            var gitdir = Directory.CreateDirectory(Path.Combine(dir, "main", ".git", "worktrees", "wt")).FullName;
            var wt = Directory.CreateDirectory(Path.Combine(dir, "wt")).FullName;
            File.WriteAllText(Path.Combine(wt, ".git"), "gitdir: ../main/.git/worktrees/wt\n");
            File.WriteAllText(Path.Combine(gitdir, "HEAD"), "ref: refs/heads/topic\n");
            File.WriteAllText(Path.Combine(gitdir, "commondir"), "../..\n");
            const string packed = "0123456789abcdef0123456789abcdef01234567", loose = "89abcdef0123456789abcdef0123456789abcdef";
            File.WriteAllText(Path.Combine(dir, "main", ".git", "packed-refs"), $"# pack-refs with: peeled fully-peeled sorted\n{packed} refs/heads/topic\n");
            Assert.Equal(packed, RepositoryLocator.GitCommit(wt));
            Directory.CreateDirectory(Path.Combine(dir, "main", ".git", "refs", "heads"));
            File.WriteAllText(Path.Combine(dir, "main", ".git", "refs", "heads", "topic"), loose + "\n");
            Assert.Equal(loose, RepositoryLocator.GitCommit(wt));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
