using ReproDiff.Reporting;

namespace ReproDiff.Tests.Reporting;

public class ResultTableTests
{
    [Theory]
    [InlineData(0.1000, 0.1040, 0.0, "reproduced")]   // within 5%
    [InlineData(0.1000, 0.0940, 0.0, "below")]
    [InlineData(0.1000, 0.1060, 0.0, "above")]
    [InlineData(0.1000, 0.0900, 0.006, "reproduced")] // within 2 std
    public void VerdictRule(double reported, double mean, double std, string verdict) =>
        Assert.Equal(verdict, ResultRow.Judge(reported, mean, std));

    [Fact]
    public void NoReferenceHasNoVerdictAndMeanStdUseNMinusOne()
    {
        Assert.Equal("no reference", ResultRow.Judge(null, 0.2, 0));
        var (m, s) = ResultRow.MeanStd([1.0, 2.0, 3.0]);
        Assert.Equal((2.0, 1.0), (m, s));
        Assert.Equal(0, ResultRow.MeanStd([5.0]).Std);
    }

    [Fact]
    public void RendersMarkdownCsvHtmlAndFrames()
    {
        var t = new ResultTable([
            new ResultRow("wang2023", "2", "ml-1m", "DiffRec", "Recall", 20, 0.1058, 0.1049, 0.0012, [1, 2, 3], "diffrec-official"),
            new ResultRow("wang2023", "7", "ml-1m", "T-DiffRec, \"tuned\"", "NDCG", 20, null, 0.09, 0, [1], "diffrec-official"),
        ]);
        Assert.Contains("| wang2023 | 2 | ml-1m | DiffRec | Recall | 20 | 0.1058 | 0.1049 | 0.0012 | -0.0009 | 1 2 3 | reproduced | diffrec-official |", t.ToMarkdown());
        Assert.Contains("\"T-DiffRec, \"\"tuned\"\"\"", t.ToCsv());
        Assert.Contains("no reference", t.ToHtml());
        Assert.Equal(2, t.ToDataFrame().Rows.Count);
        var wide = t.ToWideDataFrame();
        Assert.Equal(2, wide.Rows.Count);
        Assert.Equal("0.1058", wide["Recall@20 paper"][0]);
        Assert.Equal("0.1049 ± 0.0012", wide["Recall@20 ours"][0]);
        Assert.Equal("0.0900", wide["NDCG@20 ours"][1]);
        Assert.Equal("—", wide["Recall@20 paper"][1]);
        var stored = new ResultRow("li2023", "Table 2", "beauty", "SASRec", "HR", 10, 6.26, 4.20, 0, [1], "official", "below (not converged: stopped by the time budget)");
        Assert.Equal("below (not converged: stopped by the time budget)", new ResultTable([stored]).ToWideDataFrame()["verdicts"][0]);
        var path = Path.Combine(Directory.CreateTempSubdirectory("reprodiff-table").FullName, "table");
        t.Save(path);
        Assert.True(File.Exists(path + ".md") && File.Exists(path + ".csv") && File.Exists(path + ".html"));
    }

    [Fact]
    public void SavedChartsAreSelfContainedWithTheirData()
    {
        var chart = Plots.Lines("t", "x", "y", [new Series("a", [1.0, 2], [3.0, 4])]);
        var path = Path.Combine(Directory.CreateTempSubdirectory("reprodiff-chart").FullName, "chart.html");
        Plots.Save(chart, path, new { x = new[] { 1, 2 }, y = new[] { 3, 4 } });
        var html = File.ReadAllText(path);
        Assert.Contains("plotly.js v2.28.0", html);
        Assert.DoesNotContain("cdn.plot.ly/plotly-", html); // no CDN fallback in a standalone file
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "plotly.js v2.28.0"));
        Assert.Contains("\"x\"", File.ReadAllText(Path.ChangeExtension(path, ".json")));
    }

    [Fact]
    public void PointPanelsGiveEachPanelItsOwnSquareAxesOnOneRange()
    {
        var fig = Plots.PointPanels("ring", "x₁", "x₂", [("data", new Series("d", [0.0, 1.0], [1.0, 0.0])), ("model", new Series("m", [2.0], [2.0]))], (-3, 3));
        Assert.Equal(2, fig.Data.Count);
        Assert.Equal(["x", "x2"], fig.Data.Select(t => (string)t!["xaxis"]!));
        Assert.Equal(["y", "y2"], fig.Data.Select(t => (string)t!["yaxis"]!));
        foreach (var (x, y) in new[] { ("xaxis", "yaxis"), ("xaxis2", "yaxis2") })
        {
            Assert.Equal([-3.0, 3.0], fig.Layout[x]!["range"]!.AsArray().Select(v => (double)v!));
            Assert.Equal([-3.0, 3.0], fig.Layout[y]!["range"]!.AsArray().Select(v => (double)v!));
            Assert.Equal(x.Replace("axis", ""), (string)fig.Layout[y]!["scaleanchor"]!);   // one unit is as long on y as on x
        }
        var first = fig.Layout["xaxis"]!["domain"]!.AsArray().Select(v => (double)v!).ToArray();
        var second = fig.Layout["xaxis2"]!["domain"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.True(first[1] < second[0], "panels overlap");
        Assert.Equal(["data", "model"], fig.Layout["annotations"]!.AsArray().Select(a => (string)a!["text"]!));
        Assert.Throws<ArgumentException>(() => Plots.PointPanels("p", "x", "y", [], (0, 1)));
    }

    [Fact]
    public void FiguresArePlotlyJsonWithErrorBarsAndTheFirstFragmentCarriesTheLibrary()
    {
        var fig = Plots.Bars("b", "Recall@20", ["a", "b"], [new BarGroup("ours", [0.1, 0.2], [0.01, 0.02])]);
        var json = System.Text.Json.Nodes.JsonNode.Parse(fig.ToJson())!;
        Assert.Equal("bar", (string?)json["data"]![0]!["type"]);
        Assert.Equal(0.02, (double)json["data"]![0]!["error_y"]!["array"]![1]!);
        Assert.Throws<ArgumentException>(() => Plots.Bars("b", "y", ["a"], [new BarGroup("g", [1.0, 2.0])]));
        Plots.NewPage();
        var first = Plots.Html(fig);
        var second = Plots.Html(fig);
        Assert.Contains("plotly.js v2.28.0", first);
        Assert.DoesNotContain("plotly.js v2.28.0", second);
        Assert.DoesNotContain("plotly.js v2.28.0", Plots.WithoutLibrary(first));
        Assert.Contains(Plots.Marker, second);
    }
}
