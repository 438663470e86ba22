using ReproDiff.Tests.Support;

namespace ReproDiff.Tests.Cli;

/// <summary>The CLI in a child process: exit codes and one-line errors for user mistakes.</summary>
public class CliTests
{
    [Theory]
    [InlineData(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'")]
    [InlineData(new[] { "doctor", "--data", "/no/such/root" }, "--data /no/such/root: data folder not found.")]
    [InlineData(new[] { "data", "verify", "no-such-set" }, "unknown dataset 'no-such-set'")]
    [InlineData(new[] { "doctor", "--bogus" }, "Unrecognized command or argument '--bogus'")]
    [InlineData(new[] { "reproduce", "nopaper2099" }, "reproduce nopaper2099: unknown paper; available: wang2023, li2023, du2023.")]
    [InlineData(new[] { "reproduce", "wang2023", "--seeds", "a,b" }, "--seeds a,b: expected comma-separated integers, e.g. 1,2,3.")]
    [InlineData(new[] { "reproduce", "wang2023", "--model", "SASRec" }, "--model SASRec: wang2023 supports DiffRec, T-DiffRec, L-DiffRec, LT-DiffRec, MultVAE.")]
    [InlineData(new[] { "reproduce", "du2023", "--model", "SeqDiffRec/Hiden=64" }, "--model SeqDiffRec/Hiden=64: SeqDiffRec option 'Hiden=64': write Name=value with Name one of Hidden,")]
    [InlineData(new[] { "reproduce", "du2023", "--model", "SeqDiffRec/RoundOn=Sideways" }, "'Sideways' is not a valid SeqDiffRecRounding (Clean, Prediction).")]
    [InlineData(new[] { "bench", "--model", "Caser", "--dataset", "diffrec-ml-1m-clean" }, "--model Caser: bench supports DiffRec, T-DiffRec, L-DiffRec, LT-DiffRec, MultVAE, DiffuRec, SASRec, GRU4Rec, SeqDiffRec so far.")]
    [InlineData(new[] { "bench", "--model", "GRU4Rec", "--dataset", "diffrec-ml-1m-clean" }, "--model GRU4Rec is a next-item model but --dataset diffrec-ml-1m-clean holds a user × item matrix; its datasets: diffurec-amazon-beauty")]
    [InlineData(new[] { "bench", "--model", "DiffRec", "--dataset", "nope" }, "unknown dataset 'nope'")]
    [InlineData(new[] { "verify", "/no/such.json" }, "/no/such.json: file not found.")]
    [InlineData(new[] { "compare", "--family", "graph" }, "Argument 'graph' not recognized. Must be one of")]
    [InlineData(new[] { "compare", "--family", "user-item", "--models", "SASRec" }, "--model SASRec: comparison/user-item supports DiffRec, T-DiffRec, L-DiffRec, LT-DiffRec, MultVAE, DAE, LightGCN, EASE, MostPopular.")]
    [InlineData(new[] { "compare", "--family", "next-item", "--datasets", "diffrec-ml-1m-clean" }, "--datasets diffrec-ml-1m-clean: the next-item family runs diffurec-amazon-beauty, diffurec-toys, s3rec-sports, s3rec-yelp.")]
    [InlineData(new[] { "compare", "--family", "user-item", "--budget-minutes", "0" }, "--budget-minutes 0: must be positive.")]
    [InlineData(new[] { "compare", "--family", "user-item", "--precision", "fp16" }, "--precision fp16: unknown precision; use fp32 or bf16.")]
    [InlineData(new[] { "bench", "--model", "DiffRec", "--dataset", "diffrec-ml-1m-clean", "--precision", "half" }, "--precision half: unknown precision; use fp32 or bf16.")]
    [InlineData(new[] { "notebooks", "run", "/no/such.ipynb" }, "/no/such.ipynb: notebook not found.")]
    [InlineData(new[] { "notebooks", "run", "--profile", "medium" }, "Argument 'medium' not recognized. Must be one of")]
    public void UserErrorIsOneLineAndExitCode2(string[] args, string expected)
    {
        var r = CliProcess.Run(args);
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("reprodiff: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void ABadNotebookParameterExitsBeforeAnythingRunsOrIsWritten()
    {
        var dir = Directory.CreateTempSubdirectory("reprodiff-badparam").FullName;
        var summary = Path.Combine(dir, "summary.md");
        File.WriteAllText(summary, "previous run");
        var notebook = Path.Combine(ReproDiff.Runtime.RepositoryLocator.FindRoot()!, "notebooks", "00-diffusion-foundations.ipynb");
        var r = CliProcess.Run("notebooks", "run", notebook, "--param", "Seed=abc", "--out-dir", dir);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("reprodiff: --param Seed=abc: expected an integer.", r.Stderr.Trim());
        Assert.Equal("previous run", File.ReadAllText(summary));
        Assert.Single(Directory.GetFiles(dir));
    }

    [RealDataFact("diffrec-ml-1m-clean")]
    public void AQuickReproduceJudgesNothing()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("reprodiff-quick").FullName, "quick.json");
        var r = CliProcess.Run("reproduce", "wang2023", "--model", "MultVAE", "--dataset", "diffrec-ml-1m-clean", "--profile", "quick", "--seeds", "1", "--out", output, "--fail-unless-reproduced");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("not judged (quick profile)", r.Stdout);
        Assert.DoesNotContain("below", r.Stdout);
        Assert.DoesNotContain(" reproduced", r.Stdout.Replace("not a reproduction", ""));
        Assert.All(ReproDiff.Reproduction.ReproductionJson.Load(output).Cells, c => Assert.Equal("not judged (quick profile)", c.Verdict));
    }

    [RealDataFact("diffrec-ml-1m-clean")]
    public void AnIncompleteComparisonIsWrittenOnlyUnderPartialNames()
    {
        var dir = Directory.CreateTempSubdirectory("reprodiff-compare").FullName;
        var r = CliProcess.Run("compare", "--family", "user-item", "--datasets", "diffrec-ml-1m-clean", "--models", "MostPopular", "--profile", "quick", "--seeds", "1", "--out-dir", dir);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("incomplete: not yet run: DiffRec seed 1;", r.Stdout);
        var stem = Path.Combine(dir, "user-item-diffrec-ml-1m-clean");
        Assert.Equal([stem + ".json.partial", stem + ".md.partial", stem + ".runs.json.partial"], Directory.GetFiles(dir).Order(StringComparer.Ordinal));
        Assert.Contains("**Incomplete:**", File.ReadAllText(stem + ".md.partial"));
        Assert.Single(ReproDiff.Reproduction.ReproductionJson.Load(stem + ".runs.json.partial").Runs);
    }

    [Fact]
    public void DoctorReportsLibTorchLoadedAndTheDataRoot()
    {
        var root = Directory.CreateTempSubdirectory("reprodiff-doctor").FullName;
        var r = CliProcess.Run("doctor", "--data", root);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("loaded, a training step ran", r.Stdout);
        Assert.Contains("0.107.0", r.Stdout);
        Assert.Contains(root, r.Stdout);
        Assert.Contains("not present", r.Stdout);
    }

    [Theory]
    [InlineData(null, null, "glibc: mmap off, trim threshold 1 GiB")]
    [InlineData("REPRODIFF_ALLOCATOR", "default", "C library defaults")]
    [InlineData("MALLOC_MMAP_THRESHOLD_", "131072", "C library defaults")]   // the user's own glibc tuning wins
    public void TheCliKeepsFreedMemoryUnlessTheEnvironmentSaysOtherwise(string? variable, string? value, string expected)
    {
        var env = new Dictionary<string, string?> { ["REPRODIFF_ALLOCATOR"] = null, ["MALLOC_MMAP_THRESHOLD_"] = null };
        if (variable is not null) env[variable] = value;
        var r = CliProcess.RunIn(Environment.CurrentDirectory, env, "doctor", "--data", Directory.CreateTempSubdirectory("reprodiff-alloc").FullName);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        var line = r.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("allocator", StringComparison.Ordinal));
        Assert.Equal(expected, line.Trim()["allocator".Length..].Trim());
    }

    [RealDataFact("diffrec-ml-1m-clean", "diffrec-ml-1m-noisy", "diffurec-amazon-beauty", "diffurec-ml-1m", "diffurec-toys")]
    public void DoctorListsTheSharedDatasetsWithChecksumsOk()
    {
        var r = CliProcess.Run("doctor", "--data", TestData.Root.Path);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Equal(ReproDiff.Data.DatasetCatalog.All.Count, r.Stdout.Split('\n').Count(l => l.Contains("checksums ok")));
    }

    [Fact]
    public void DataVerifyOfACorruptedCopyFails()
    {
        var root = Directory.CreateTempSubdirectory("reprodiff-corrupt").FullName;
        Directory.CreateDirectory(Path.Combine(root, "diffurec-toys"));
        foreach (var f in new[] { "train.tsv", "valid.tsv", "test.tsv" })
            File.WriteAllText(Path.Combine(root, "diffurec-toys", f), "user\titem\n");
        var r = CliProcess.Run("data", "verify", "--data", root);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("3 file(s) failed verification.", r.Stdout);
    }
}

public class VerifyCommandTests
{
    [Fact]
    public void VerifyReadsEveryCommittedResultAndComparisonButNoOtherFileOfTheComparisonFolder()
    {
        // papers/comparison also holds notebook 04's full-profile summary, which is not a comparison report
        var output = Path.Combine(Directory.CreateTempSubdirectory("reprodiff-verify").FullName, "report");
        var r = CliProcess.Run("verify", "--out", output);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        var markdown = File.ReadAllText(output + ".md");
        foreach (var dataset in new[] { "diffrec-ml-1m-clean", "diffrec-ml-1m-noisy", "diffurec-amazon-beauty", "diffurec-toys", "s3rec-sports", "s3rec-yelp" })
            Assert.Contains(dataset, markdown);
    }

    [Fact]
    public void AJsonFileOfAnotherKindIsNotTakenForAComparisonReport()
    {
        var path = Path.Combine(ReproDiff.Runtime.RepositoryLocator.FindRoot()!, "papers", "comparison", "notebook-04-full.json");
        var e = Assert.Throws<ReproDiff.ReproDiffException>(() => ReproDiff.Reproduction.Comparison.Load(path));
        Assert.StartsWith(path + ": not a comparison report", e.Message);
    }
}
