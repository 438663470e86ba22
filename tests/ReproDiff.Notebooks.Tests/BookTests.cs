using System.Diagnostics;

namespace ReproDiff.Notebooks.Tests;

/// <summary>A fact that needs Chromium (Debian: chromium, which .ci/run installs) and Node.js; skipped with the reason without them.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!File.Exists("/usr/bin/chromium")) { Skip = "Chromium is not installed at /usr/bin/chromium (apt install chromium)"; return; }
        try
        {
            using var p = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true })!;
            p.WaitForExit(30_000);
        }
        catch (System.ComponentModel.Win32Exception) { Skip = "Node.js is not installed (the Chromium check is tools/book/check.mjs)"; }
    }
}

/// <summary>The book of executed chapters: structure from a small notebook, and the real chapters in headless Chromium.</summary>
public class BookTests
{
    static string FakeKatex()
    {
        var dist = Directory.CreateTempSubdirectory("reprodiff-katex").FullName;
        Directory.CreateDirectory(Path.Combine(dist, "contrib"));
        Directory.CreateDirectory(Path.Combine(dist, "fonts"));
        foreach (var f in new[] { "katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "fonts/KaTeX_Main-Regular.woff2" })
            File.WriteAllText(Path.Combine(dist, f), "/* test */");
        return dist;
    }

    [Fact]
    public async Task APageHasTheChapterItsSectionsOutputsAndOneCopyOfPlotlyJs()
    {
        var b = new NotebookBuilder();
        var path = b.Markdown("# 09 · A test chapter\n\nThe loss is $\\mathcal{L} = \\|x\\|^2$.\n\n## 1. First section")
            .Parameters("string Profile = \"quick\";")
            .Code("Console.WriteLine(\"hello <world>\");\nReproDiff.Reporting.ResultsChannel.Record(\"answer\", 42L);")
            .Code("display(HTML(ReproDiff.Reporting.Plots.Html(ReproDiff.Reporting.Plots.Lines(\"t\", \"x\", \"y\", new[] { new ReproDiff.Reporting.Series(\"a\", new[] { 1.0, 2 }, new[] { 3.0, 4 }) }))));")
            .Markdown("## 2. Second section")
            .Save("09-test.ipynb");
        var executed = Path.Combine(b.Folder, "out", "09-test.ipynb");
        var r = await NotebookRunner.RunAsync(path, new NotebookRunOptions { OutputPath = executed });
        Assert.True(r.Passed, r.Error);

        var book = Path.Combine(b.Folder, "book");
        var pages = Book.Write([executed], book, FakeKatex());
        var page = Assert.Single(pages);
        Assert.Equal("09 · A test chapter", page.Title);
        Assert.Equal(["1. First section", "2. Second section"], page.Sections.Select(s => s.Text));
        Assert.Equal(1, page.Charts);
        var html = File.ReadAllText(Path.Combine(book, "09-test.html"));
        Assert.Contains("hello &lt;world&gt;", html);
        Assert.Contains("recorded: <code>answer</code> = 42", html);
        Assert.Contains("<span class=\"math\">", html);
        Assert.DoesNotContain("plotly.js v2.28.0", html);                                  // the page loads assets/plotly.min.js once
        Assert.Contains("plotly.js v2.28.0", File.ReadAllText(Path.Combine(book, "assets", "plotly.min.js")));
        Assert.Contains("09-test.html", File.ReadAllText(Path.Combine(book, "index.html")));
        Assert.Empty(Directory.GetDirectories(b.Folder, "book.*.tmp"));
    }

    [Fact]
    public void NoNotebooksOrNoKatexIsOneClearErrorAndNothingIsWritten()
    {
        var dir = Directory.CreateTempSubdirectory("reprodiff-book").FullName;
        var e = Assert.Throws<ReproDiffException>(() => Book.Write([], Path.Combine(dir, "book"), FakeKatex()));
        Assert.Contains("no executed notebooks", e.Message);
        var nb = new NotebookBuilder().Parameters("int Seed = 1;").Save();
        e = Assert.Throws<ReproDiffException>(() => Book.Write([nb], Path.Combine(dir, "book"), dir));
        Assert.Contains("KaTeX not found", e.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "book")));
    }

    [ChromiumFact]
    public async Task TheChaptersBookRendersInHeadlessChromium()
    {
        var repo = Runtime.RepositoryLocator.FindRoot()!;
        var executed = new List<string>();
        foreach (var name in Directory.GetFiles(Path.Combine(repo, "notebooks"), "*.ipynb").Select(Path.GetFileName).Order(StringComparer.Ordinal).OfType<string>())
        {
            var r = await CommittedNotebookTests.InRunnerForOtherTests(name);
            Assert.True(r.Passed, r.Error);
            executed.Add(r.ExecutedPath!);
        }
        var book = Path.Combine(Directory.CreateTempSubdirectory("reprodiff-book").FullName, "book");
        var committed = Directory.GetFiles(Path.Combine(repo, "papers"), "reproduced-*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        var report = new Reproduction.VerificationReport(committed.Select(f => (f, Reproduction.ReproductionJson.Load(f))));
        Book.Write(executed, book, await NotebookSetup.KatexAsync(repo),
            [new ExtraPage("Verification", "verification.html", $"<style>{Reproduction.VerificationReport.Style}</style>{report.ToHtmlBody()}")]);

        var psi = new ProcessStartInfo("node") { WorkingDirectory = repo };
        foreach (var a in new[] { Path.Combine(repo, "tools", "book", "check.mjs"), book }) psi.ArgumentList.Add(a);
        var run = await ChildProcess.RunAsync(psi, TimeSpan.FromMinutes(5));
        var stdout = run.Stdout;
        Assert.True(!run.TimedOut && run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("\"page\":\"verification.html\",\"ok\":true,\"charts\":2,\"drawn\":2", stdout);
        Assert.Equal(executed.Count + 2, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("\"ok\":true")));
    }
}
