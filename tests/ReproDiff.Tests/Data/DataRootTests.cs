using ReproDiff.Data;
using ReproDiff.Tests.Support;

namespace ReproDiff.Tests.Data;

public class DataRootTests
{
    [Fact]
    public void ExplicitOptionWins()
    {
        var dir = Directory.CreateTempSubdirectory("reprodiff-root").FullName;
        var root = DataRoot.Resolve(dir);
        Assert.Equal(dir, root.Path);
        Assert.Equal("--data", root.Origin);
    }

    [Fact]
    public void MissingExplicitFolderIsAUserErrorNamingIt()
    {
        var e = Assert.Throws<ReproDiffException>(() => DataRoot.Resolve("/no/such/folder"));
        Assert.Equal("--data /no/such/folder: data folder not found.", e.Message);
    }

    [Fact]
    public void EnvironmentVariableIsNextThenSharedData()
    {
        var dir = Directory.CreateTempSubdirectory("reprodiff-env").FullName;
        var old = Environment.GetEnvironmentVariable(DataRoot.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DataRoot.EnvironmentVariable, dir);
            Assert.Equal((dir, DataRoot.EnvironmentVariable), (DataRoot.Resolve().Path, DataRoot.Resolve().Origin));
            Environment.SetEnvironmentVariable(DataRoot.EnvironmentVariable, null);
            var fallback = DataRoot.Resolve();
            Assert.True(fallback.Origin.Contains("shared/data") || fallback.Origin.Contains("data/cache"), fallback.Origin);
        }
        finally { Environment.SetEnvironmentVariable(DataRoot.EnvironmentVariable, old); }
    }

    [Fact]
    public void UnknownDatasetListsTheKnownOnes()
    {
        var e = Assert.Throws<ReproDiffException>(() => DatasetCatalog.Get("ml-100k"));
        Assert.Contains("unknown dataset 'ml-100k'", e.Message);
        Assert.Contains("diffrec-ml-1m-clean", e.Message);
    }

    [Fact]
    public void CardsCoverEveryPaperDataset()
    {
        var names = DatasetCatalog.All.Select(c => c.Name).ToList();
        Assert.Equal(["diffrec-ml-1m-clean", "diffrec-ml-1m-noisy", "diffurec-amazon-beauty", "diffurec-ml-1m", "diffurec-toys", "s3rec-sports", "s3rec-yelp"], names);
        Assert.All(DatasetCatalog.All, c => Assert.All(c.Files, f => Assert.Matches("^[0-9a-f]{64}$", f.Sha256)));
    }

    [Fact]
    public void VerifyFlagsAMissingAndACorruptedFile()
    {
        var card = DatasetCatalog.Get("diffurec-toys");
        var root = Directory.CreateTempSubdirectory("reprodiff-bad").FullName;
        Directory.CreateDirectory(Path.Combine(root, card.Name));
        File.WriteAllText(Path.Combine(root, card.Name, "test.tsv"), "user\titem\n0\t1\n");
        var checks = DatasetCatalog.Verify(card, root);
        Assert.Equal("mismatch", checks.Single(c => c.File == "test.tsv").Status);
        Assert.Equal("missing", checks.Single(c => c.File == "train.tsv").Status);
    }

    [RealDataFact("diffrec-ml-1m-clean", "diffrec-ml-1m-noisy", "diffurec-amazon-beauty", "diffurec-ml-1m", "diffurec-toys", "s3rec-sports", "s3rec-yelp")]
    public void SharedDataPassesItsChecksums()
    {
        var root = TestData.Root;
        foreach (var card in DatasetCatalog.All)
            Assert.All(DatasetCatalog.Verify(card, root.Path), c => Assert.True(c.Ok, $"{c.Dataset}/{c.File}: {c.Status} {c.Detail}"));
    }
}
