using System.Text.Json.Nodes;

namespace ReproDiff.Notebooks.Tests;

/// <summary>The runner in this process: directives, errors with their cell and line, parameters, outputs and results.</summary>
public class RunnerTests
{
    static Task<NotebookResult> Run(string path, NotebookRunOptions? options = null) => NotebookRunner.RunAsync(path, options);

    [Fact]
    public async Task CompileErrorNamesFileCellLineAndColumn()
    {
        var r = await Run(NotebookBuilder.WithCell("var ok = 1;\nint x = \"text\";", "broken.ipynb"));
        Assert.False(r.Passed);
        Assert.StartsWith("broken.ipynb#cell3(2,9): error CS0029", r.Error);
        Assert.Equal(2, r.CellsRun);
    }

    [Fact]
    public async Task RuntimeExceptionNamesCellAndLine()
    {
        var r = await Run(NotebookBuilder.WithCell("var a = 1;\nvoid Boom() => throw new InvalidOperationException(\"boom\");\nBoom();", "runtime.ipynb"));
        Assert.False(r.Passed);
        Assert.Matches(@"^runtime\.ipynb#cell3\(2,\d+\): InvalidOperationException: boom$", r.Error);
    }

    [Fact]
    public async Task FirstFailingCellStopsTheNotebook()
    {
        var path = new NotebookBuilder().Parameters("string Profile = \"quick\";").Code("throw new Exception(\"first\");").Code("System.IO.File.WriteAllText(\"ran.txt\", \"x\");").Save();
        var r = await Run(path);
        Assert.Contains("#cell2(", r.Error);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "ran.txt")));
    }

    [Theory]
    [InlineData("#r \"nuget: TorchSharp-cpu, 0.106.0\"", "test.ipynb#cell3(1,1): #r \"nuget: TorchSharp-cpu, 0.106.0\" differs from Directory.Packages.props (0.107.0).")]
    [InlineData("#r \"nuget: Newtonsoft.Json, 13.0.1\"", "test.ipynb#cell3(1,1): package 'Newtonsoft.Json' is not pinned in Directory.Packages.props.")]
    [InlineData("#r \"nuget: Microsoft.Data.Analysis\"", "test.ipynb#cell3(1,1): #r \"nuget: Microsoft.Data.Analysis\" has no version; pin it: #r \"nuget: Microsoft.Data.Analysis, 0.23.1\".")]
    [InlineData("var x = 1;\n#!whos", "test.ipynb#cell3(2,1): unknown magic command '#!whos' (the headless runner understands #!csharp and #!time).")]
    public async Task DirectiveErrorsNameTheCell(string cell, string expected)
    {
        var r = await Run(NotebookBuilder.WithCell(cell));
        Assert.False(r.Passed);
        Assert.Equal(expected, r.Error);
    }

    [Fact]
    public async Task OtherKernelsFailAndMarkupKernelsAreSkipped()
    {
        var html = new NotebookBuilder().Parameters("string Profile = \"quick\";").Code("<b>not C#</b>", "html").Code("graph TD; A-->B", "mermaid").Code("1 + 1").Save();
        var ok = await Run(html);
        Assert.True(ok.Passed, ok.Error);
        Assert.Equal(2, ok.CodeCells);
        var fsharp = await Run(NotebookBuilder.WithCell("#!fsharp\nlet x = 1"));
        Assert.Equal("test.ipynb#cell3(1,1): kernel 'fsharp' is not supported by the headless runner (C# cells only).", fsharp.Error);
    }

    [Fact]
    public async Task ParametersAreInjectedTypedAndShownInTheExecutedCopy()
    {
        var path = new NotebookBuilder()
            .Code("using ReproDiff.Reporting;")
            .Parameters("// knobs\nstring Profile = \"quick\";\nint Seed = 1;\ndouble Rate = 0.5;\nbool Verbose = false;\nstring Name = \"a\"; // trailing comment")
            .Code("ResultsChannel.Record(\"profile\", Profile);\nResultsChannel.Record(\"seed\", (long)Seed);\nResultsChannel.Record(\"rate\", Rate);\nResultsChannel.Record(\"verbose\", Verbose);\nResultsChannel.Record(\"name\", Name);")
            .Save();
        var output = Path.Combine(Path.GetDirectoryName(path)!, "out", "executed.ipynb");
        var r = await Run(path, new NotebookRunOptions
        {
            Profile = "full",
            Parameters = new Dictionary<string, string> { ["Seed"] = "7", ["Rate"] = "2", ["Verbose"] = "true", ["Name"] = "say \"hi\"" },
            OutputPath = output,
        });
        Assert.True(r.Passed, r.Error);
        Assert.Equal("full", r.Text("profile"));
        Assert.Equal(7, r.Number("seed"));
        Assert.Equal(2.0, r.Number("rate"));
        Assert.Equal("True", r.Text("verbose"));
        Assert.Equal("say \"hi\"", r.Text("name"));
        var executed = NotebookDocument.Load(output);
        Assert.Contains("int Seed = 7;", executed.Cells[1].Source);
        Assert.Contains("double Rate = 2.0;", executed.Cells[1].Source);
        Assert.Contains("string Name = \"say \\\"hi\\\"\"; // trailing comment", executed.Cells[1].Source);
    }

    [Theory]
    [InlineData("Nope=1", "--param Nope: the parameters cell has no 'Nope' (it has: Profile, Seed).")]
    [InlineData("Seed=abc", "--param Seed=abc: expected an integer.")]
    public async Task BadParametersAreErrors(string pair, string expected)
    {
        var e = await Assert.ThrowsAsync<ReproDiffException>(() =>
            Run(NotebookBuilder.WithCell("1"), new NotebookRunOptions { Parameters = NotebookParameters.ParsePairs([pair]) }));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public async Task ParametersCellMustBeUniqueAndLiteral()
    {
        var none = new NotebookBuilder().Code("1").Save("none.ipynb");
        Assert.Equal("none.ipynb: expected exactly one code cell tagged 'parameters', found 0.", (await Assert.ThrowsAsync<ReproDiffException>(() => Run(none))).Message);
        var computed = new NotebookBuilder().Parameters("int Seed = 1 + 1;").Save("computed.ipynb");
        Assert.StartsWith("computed.ipynb#cell1(1,1): the parameters cell may hold only literal assignments", (await Assert.ThrowsAsync<ReproDiffException>(() => Run(computed))).Message);
        Assert.Equal("--profile medium: use quick or full.",
            (await Assert.ThrowsAsync<ReproDiffException>(() => Run(NotebookBuilder.WithCell("1"), new NotebookRunOptions { Profile = "medium" }))).Message);
    }

    [Fact]
    public async Task OutputsKeepOrderAndKinds()
    {
        var path = NotebookBuilder.WithCell("#!time\nConsole.WriteLine(\"before\");\ndisplay(\"shown\");\n\"ext\".Display();\nConsole.Error.WriteLine(\"warn\");\ndisplay(HTML(\"<b>bold</b>\"));\nvar h = display(\"old\");\nh.Update(\"new\");\n6 * 7");
        var output = Path.Combine(Path.GetDirectoryName(path)!, "executed.ipynb");
        var r = await Run(path, new NotebookRunOptions { OutputPath = output });
        Assert.True(r.Passed, r.Error);
        var outputs = NotebookDocument.Load(output).Cells[2].Json["outputs"]!.AsArray();
        string Describe(JsonNode? o) => (string)o!["output_type"]! switch
        {
            "stream" => $"{o["name"]}:{NotebookDocument.JoinSource(o["text"]).Trim()}",
            "execute_result" => $"result:{NotebookDocument.JoinSource(o["data"]!["text/plain"])}",
            _ => string.Join(",", o["data"]!.AsObject().Select(kv => $"{kv.Key}={NotebookDocument.JoinSource(kv.Value)}")),
        };
        var described = outputs.Select(Describe).ToList();
        Assert.Equal("stdout:before", described[0]);
        Assert.Equal("text/plain=shown", described[1]);
        Assert.Equal("text/plain=ext", described[2]);
        Assert.Equal("stderr:warn", described[3]);
        Assert.Equal("text/html=<b>bold</b>", described[4]);
        Assert.Equal("text/plain=new", described[5]);
        Assert.Equal("result:42", described[6]);
        Assert.StartsWith("stdout:Wall time: ", described[7]);
        Assert.Equal(3, NotebookDocument.Load(output).Cells[2].Json["execution_count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("using (var w = new System.IO.StringWriter())\n{\n    int Twice(int x) { return 2 * x; }\n    w.Write(Twice(2));\n}\nvar y = 1;", null)]
    [InlineData("int Twice(int x) { return 2 * x; }\nTwice(21)", "42")]
    [InlineData("string s = null;\ns", "<null>")]
    [InlineData("var z = 3;", null)]
    public async Task OnlyATrailingExpressionShowsAValue(string cell, string? expected)
    {
        // a return inside a local function once showed "<null>" after the cell (Roslyn's HasReturnValue counts it; the kernel does not)
        var path = NotebookBuilder.WithCell(cell);
        var output = Path.Combine(Path.GetDirectoryName(path)!, "executed.ipynb");
        var r = await Run(path, new NotebookRunOptions { OutputPath = output });
        Assert.True(r.Passed, r.Error);
        var results = NotebookDocument.Load(output).Cells[2].Json["outputs"]!.AsArray()
            .Where(o => (string)o!["output_type"]! == "execute_result").Select(o => NotebookDocument.JoinSource(o!["data"]!["text/plain"])).ToList();
        Assert.Equal(expected is null ? [] : [expected], results);
    }

    [Fact]
    public async Task WorkingDirectoryReferencesAndLoadResolveFromTheNotebookFolder()
    {
        var b = new NotebookBuilder();
        File.WriteAllText(Path.Combine(b.Folder, "helper.csx"), "int Twice(int x) => 2 * x;");
        var path = b.Parameters("string Profile = \"quick\";")
            .Code("#load \"helper.csx\"\n#r \"../artifacts/bin/ReproDiff/debug/ReproDiff.dll\"\nusing ReproDiff.Reporting;\nSystem.IO.File.WriteAllText(\"here.txt\", \"x\");\nResultsChannel.Record(\"twice\", (long)Twice(21));")
            .Save();
        var cwd = Environment.CurrentDirectory;
        var r = await Run(path);
        Assert.True(r.Passed, r.Error);
        Assert.Equal(42, r.Number("twice"));
        Assert.True(File.Exists(Path.Combine(b.Folder, "here.txt")));
        Assert.Equal(cwd, Environment.CurrentDirectory);
    }

    [Fact]
    public async Task PlotlyChartsAreInlinedOnceAndSavedAsOfflineFigures()
    {
        var chart = "display(HTML(ReproDiff.Reporting.Plots.Html(ReproDiff.Reporting.Plots.Lines(\"t\", \"x\", \"y\", new[] { new ReproDiff.Reporting.Series(\"a\", new[] { 1.0, 2 }, new[] { 3.0, 4 }) }))));";
        var path = NotebookBuilder.WithCell(chart + "\n" + chart);
        var output = Path.Combine(Path.GetDirectoryName(path)!, "executed.ipynb");
        var r = await Run(path, new NotebookRunOptions { OutputPath = output });
        Assert.True(r.Passed, r.Error);
        var html = NotebookDocument.Load(output).Cells[2].Json["outputs"]!.AsArray()
            .Select(o => NotebookDocument.JoinSource(o!["data"]!["text/html"])).ToList();
        Assert.Equal(2, html.Count);
        Assert.Contains("plotly.js v2.28.0", html[0]);      // the library itself, inlined
        Assert.DoesNotContain("plotly.js v2.28.0", html[1]); // reused from the page
        var figures = Directory.GetFiles(Path.Combine(Path.GetDirectoryName(path)!, "executed.figures"), "*.html");
        Assert.Equal(2, figures.Length);
        Assert.All(figures, f => Assert.Contains("plotly.js v2.28.0", File.ReadAllText(f)));
    }
}
