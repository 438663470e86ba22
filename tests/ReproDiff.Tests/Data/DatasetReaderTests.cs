using ReproDiff.Data;
using ReproDiff.Tests.Support;

namespace ReproDiff.Tests.Data;

public class DatasetReaderTests
{
    static string Folder(params (string File, string Text)[] files)
    {
        var dir = Directory.CreateTempSubdirectory("reprodiff-data").FullName;
        foreach (var (f, t) in files) File.WriteAllText(Path.Combine(dir, f), t);
        return dir;
    }

    const string Good = "user\titem\n0\t0\n0\t2\n1\t1\n";

    [Fact]
    public void LoadsASmallInteractionFolder()
    {
        var d = InteractionDataset.Load(Folder(("train.tsv", Good), ("valid.tsv", "user\titem\n1\t2\n"), ("test.tsv", "user\titem\n0\t3\n")));
        Assert.Equal((2, 4), (d.Users, d.Items));
        Assert.Equal([0, 2], d.Train.Row(0).ToArray());
        Assert.Equal([3], d.Test.Row(0).ToArray());
    }

    [Theory]
    [InlineData("user\titem\n0\t1\t5\n", "train.tsv:2: expected 2 columns, found 3.")]
    [InlineData("user\titem\n0\t1\nx7\t1\n", "train.tsv:3:1: 'x7' is not an integer (user).")]
    [InlineData("user\titem\n0\t-4\n", "train.tsv:2:2: item -4 is negative.")]
    [InlineData("user\tthing\n0\t1\n", "train.tsv:1: expected the header 'user\\titem', found 'user\tthing'.")]
    [InlineData("user\titem\n", "train.tsv: no data rows after the header (empty split).")]
    public void BadInputNamesFileLineAndColumn(string train, string expectedEnd)
    {
        var dir = Folder(("train.tsv", train), ("valid.tsv", Good), ("test.tsv", Good));
        var e = Assert.Throws<ReproDiffException>(() => InteractionDataset.Load(dir));
        Assert.Equal(Path.Combine(dir, expectedEnd), e.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var dir = Folder(("train.tsv", Good), ("valid.tsv", Good));
        Assert.Equal($"{Path.Combine(dir, "test.tsv")}: file not found.", Assert.Throws<ReproDiffException>(() => InteractionDataset.Load(dir)).Message);
    }

    [Fact]
    public void SequenceErrorsNameTheLine()
    {
        var dir = Folder(("train.tsv", "user\tposition\titem\n0\t0\t3\n0\t2\t4\n"), ("valid.tsv", "user\titem\n0\t1\n"), ("test.tsv", "user\titem\n0\t2\n"));
        Assert.Equal($"{Path.Combine(dir, "train.tsv")}:3:2: position 2 of user 0 is out of order (expected 1).",
            Assert.Throws<ReproDiffException>(() => SequenceDataset.Load(dir)).Message);
        var pad = Folder(("train.tsv", "user\tposition\titem\n0\t0\t0\n"), ("valid.tsv", "user\titem\n0\t1\n"), ("test.tsv", "user\titem\n0\t2\n"));
        Assert.EndsWith("train.tsv:2:3: item 0 is the padding id; items are 1-based.", Assert.Throws<ReproDiffException>(() => SequenceDataset.Load(pad)).Message);
    }

    [Fact]
    public void TimeWeightsAreLinearInFileOrder()
    {
        var d = InteractionDataset.Load(Folder(("train.tsv", "user\titem\n0\t0\n0\t1\n0\t2\n1\t1\n"), ("valid.tsv", Good), ("test.tsv", Good)));
        var w = d.TimeWeightedTrain(0.1, 1.0);
        Assert.Equal([0.1f, 0.55f, 1.0f, 0.1f], w.Values!); // one interaction: w_min, as np.linspace(w_min, w_max, 1) in the official loader
    }

    [Fact]
    public void HeadKeepsTheFirstUsersAndEveryItem()
    {
        var d = InteractionDataset.Load(Folder(("train.tsv", "user\titem\n0\t0\n0\t1\n1\t2\n2\t3\n"), ("valid.tsv", "user\titem\n1\t1\n2\t0\n"), ("test.tsv", "user\titem\n0\t3\n2\t2\n")));
        var h = d.Head(2);
        Assert.Equal((2, 4), (h.Users, h.Items));
        Assert.Equal([0, 1, 2], h.Train.Indices);
        Assert.Equal([0, 2, 3], h.Train.RowPointers);
        Assert.Equal([1], h.Valid.Indices);
        Assert.Equal([3], h.Test.Indices);
        Assert.Equal([0.1f, 1.0f, 0.1f], h.TimeWeightedTrain(0.1).Values!);
        Assert.Same(d, d.Head(3));
        Assert.Throws<ArgumentException>(() => d.Head(0));
    }

    [Fact]
    public void LeftPadKeepsTheLastItems()
    {
        Assert.Equal([0, 0, 1, 2], SequenceDataset.LeftPad([1, 2], 4));
        Assert.Equal([3, 4], SequenceDataset.LeftPad([1, 2, 3, 4], 2));
    }

    [Fact]
    public void SyntheticDataIsDeterministicAndHasPlantedInterests()
    {
        var o = new Synthetic.Options(Users: 200, Items: 100, Topics: 10, Seed: 3);
        var (a, topics) = Synthetic.Histories(o);
        var (b, _) = Synthetic.Histories(o);
        Assert.Equal(a.Select(s => string.Join(",", s)), b.Select(s => string.Join(",", s)));
        // Most of a user's items come from few topics (3 planted interests of 10).
        var topShare = a.Average(s => s.GroupBy(i => topics[i]).OrderByDescending(g => g.Count()).Take(3).Sum(g => g.Count()) / (double)s.Length);
        Assert.True(topShare > 0.8, $"top-3 topic share {topShare}");
        var seq = Synthetic.Sequences(o);
        Assert.Equal(200, seq.Users);
        Assert.All(seq.Train, s => Assert.DoesNotContain(0, s));
        var inter = Synthetic.Interactions(o);
        Assert.Equal(a.Sum(s => s.Length), inter.Train.NonZeros + inter.Valid.NonZeros + inter.Test.NonZeros);
    }

    [RealDataFact("diffrec-ml-1m-clean")]
    public void LoadsDiffRecMl1mCleanWithTheCardsCounts()
    {
        var d = InteractionDataset.Load(TestData.Root, "diffrec-ml-1m-clean");
        Assert.Equal((5949, 2810), (d.Users, d.Items));
        Assert.Equal((403277, 110722, 57532), (d.Train.NonZeros, d.Valid.NonZeros, d.Test.NonZeros));
        Assert.Equal((2810, 64), (d.ItemEmbeddings!.GetLength(0), d.ItemEmbeddings.GetLength(1)));
    }

    [RealDataFact("diffurec-amazon-beauty")]
    public void LoadsDiffuRecBeautyWithTheCardsCounts()
    {
        var d = SequenceDataset.Load(TestData.Root, "diffurec-amazon-beauty");
        Assert.Equal((22363, 12101), (d.Users, d.Items));
        Assert.Equal(153776, d.Train.Sum(s => s.Length));
    }
}
