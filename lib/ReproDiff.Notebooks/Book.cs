using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Markdig;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using ReproDiff.Reporting;

namespace ReproDiff.Notebooks;

/// <summary>A page of the book that is not a notebook (the verification report): its title, file name and HTML body.</summary>
public sealed record ExtraPage(string Title, string File, string Body);

/// <summary>One page of the book: a chapter's title, file name and section headings.</summary>
public sealed record BookPage(string Title, string File, string Source, IReadOnlyList<(string Id, string Text)> Sections, int Errors, int Charts);

/// <summary>
/// The book of executed chapters: an index and one HTML page per executed notebook, readable without running anything
/// and without a network. Markdown through Markdig, maths typeset in the browser by KaTeX (from the npm package pinned in
/// tools/book, copied into the book's assets), charts by the plotly.js our library embeds (one file for the book),
/// outputs as the notebook holds them, a table of contents on every page.
/// </summary>
public static class Book
{
    static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    /// <summary>
    /// Writes the book for <paramref name="notebooks"/> (executed .ipynb files) into <paramref name="outDir"/>; the folder
    /// is built beside the target and moved into place, so a reader never sees half a book.
    /// </summary>
    public static IReadOnlyList<BookPage> Write(IReadOnlyList<string> notebooks, string outDir, string katexDist,
        IReadOnlyList<ExtraPage>? extras = null, string title = "ReproDiff: diffusion recommenders, chapter by chapter")
    {
        extras ??= [];
        if (notebooks.Count == 0) throw new ReproDiffException("no executed notebooks to make a book of; run `reprodiff notebooks run` first.");
        foreach (var n in notebooks) if (!File.Exists(n)) throw new ReproDiffException($"{n}: executed notebook not found.");
        if (!File.Exists(Path.Combine(katexDist, "katex.min.js")))
            throw new ReproDiffException($"KaTeX not found in {katexDist}; run `npm ci` in tools/book (the book typesets maths with it).");

        var target = Path.GetFullPath(outDir);
        var staging = target + $".{Environment.ProcessId}.tmp";
        if (Directory.Exists(staging)) Directory.Delete(staging, true);
        Directory.CreateDirectory(Path.Combine(staging, "assets"));
        File.WriteAllText(Path.Combine(staging, "assets", "plotly.min.js"), Plots.PlotlyJs);
        File.WriteAllText(Path.Combine(staging, "assets", "book.css"), Css);
        var katex = Path.Combine(staging, "assets", "katex");
        Directory.CreateDirectory(Path.Combine(katex, "fonts"));
        foreach (var f in new[] { "katex.min.css", "katex.min.js", "contrib/auto-render.min.js" })
            File.Copy(Path.Combine(katexDist, f), Path.Combine(katex, Path.GetFileName(f)));
        foreach (var f in Directory.GetFiles(Path.Combine(katexDist, "fonts"), "*.woff2"))
            File.Copy(f, Path.Combine(katex, "fonts", Path.GetFileName(f)));

        var docs = notebooks.Select(n => NotebookDocument.Load(n)).ToList();
        var pages = docs.Select(d => Outline(d)).ToList();
        pages.AddRange(extras.Select(e => new BookPage(e.Title, e.File, "", [], 0, 0)));
        for (int i = 0; i < docs.Count; i++)
            File.WriteAllText(Path.Combine(staging, pages[i].File), Page(docs[i], pages, i));
        for (int i = 0; i < extras.Count; i++)
            File.WriteAllText(Path.Combine(staging, extras[i].File),
                Head(extras[i].Title) + "<body>" + Nav(pages, docs.Count + i) + "<main>" + Plots.WithoutLibrary(extras[i].Body) + "</main></body></html>\n");
        File.WriteAllText(Path.Combine(staging, "index.html"), Index(pages, title));

        if (Directory.Exists(target)) Directory.Delete(target, true);
        Directory.Move(staging, target);
        return pages;
    }

    static BookPage Outline(NotebookDocument nb)
    {
        string? title = null;
        var sections = new List<(string, string)>();
        int errors = 0, charts = 0;
        foreach (var c in nb.Cells)
        {
            if (!c.IsCode)
            {
                var doc = Markdig.Markdown.Parse(c.Source, Markdown);
                foreach (var h in doc.Descendants<HeadingBlock>())
                {
                    var text = Plain(h);
                    if (h.Level == 1) title ??= text;
                    else if (h.Level == 2) sections.Add((h.GetAttributes().Id ?? "", text));
                }
                continue;
            }
            foreach (var o in c.Json["outputs"]?.AsArray() ?? [])
            {
                if ((string?)o?["output_type"] == "error") errors++;
                if (NotebookDocument.JoinSource(o?["data"]?["text/html"]).Contains(Plots.Marker, StringComparison.Ordinal)) charts++;
            }
        }
        return new BookPage(title ?? nb.FileName, Path.ChangeExtension(nb.FileName, ".html"), nb.FileName, sections, errors, charts);
    }

    static string Plain(HeadingBlock h)
    {
        var sb = new StringBuilder();
        foreach (var inline in h.Inline?.Descendants<Markdig.Syntax.Inlines.LiteralInline>() ?? []) sb.Append(inline.Content);
        foreach (var code in h.Inline?.Descendants<Markdig.Syntax.Inlines.CodeInline>() ?? []) sb.Append(code.Content);
        return sb.ToString().Trim();
    }

    static string Head(string title) => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}}</title>
        <link rel="stylesheet" href="assets/book.css"><link rel="stylesheet" href="assets/katex/katex.min.css">
        <script src="assets/plotly.min.js"></script>
        <script defer src="assets/katex/katex.min.js"></script>
        <script defer src="assets/katex/auto-render.min.js" onload="renderMathInElement(document.querySelector('main'), { delimiters: [{left: '\\[', right: '\\]', display: true}, {left: '\\(', right: '\\)', display: false}], ignoredClasses: ['code', 'output'], throwOnError: false }); document.body.dataset.math = 'done';"></script>
        </head>

        """;

    static string Nav(IReadOnlyList<BookPage> pages, int current)
    {
        var sb = new StringBuilder("<nav><p class=\"book\"><a href=\"index.html\">ReproDiff</a></p><ol>");
        for (int i = 0; i < pages.Count; i++)
        {
            sb.Append(i == current ? "<li class=\"current\">" : "<li>").Append($"<a href=\"{E(pages[i].File)}\">{E(pages[i].Title)}</a>");
            if (i == current && pages[i].Sections.Count > 0)
            {
                sb.Append("<ol>");
                foreach (var (id, text) in pages[i].Sections) sb.Append($"<li><a href=\"#{E(id)}\">{E(text)}</a></li>");
                sb.Append("</ol>");
            }
            sb.Append("</li>");
        }
        return sb.Append("</ol></nav>").ToString();
    }

    static string Index(IReadOnlyList<BookPage> pages, string title)
    {
        var sb = new StringBuilder(Head(title)).Append("<body>").Append(Nav(pages, -1)).Append("<main>");
        sb.Append($"<h1>{E(title)}</h1><p>The chapters below were executed headlessly; every output, table and chart is what the code printed. " +
                  "Open the notebooks in VS Code or Jupyter to change and re-run them (environment/README.md).</p><table class=\"chapters\"><thead><tr><th>chapter</th><th>sections</th><th>charts</th><th>errors</th></tr></thead><tbody>");
        foreach (var p in pages.Where(p => p.Source.Length > 0))
            sb.Append($"<tr><td><a href=\"{E(p.File)}\">{E(p.Title)}</a><br><span class=\"file\">{E(p.Source)}</span></td><td>{p.Sections.Count}</td><td>{p.Charts}</td><td>{(p.Errors == 0 ? "none" : $"<span class=\"bad\">{p.Errors}</span>")}</td></tr>");
        sb.Append("</tbody></table>");
        foreach (var p in pages.Where(p => p.Source.Length == 0)) sb.Append($"<p>Also: <a href=\"{E(p.File)}\">{E(p.Title)}</a>.</p>");
        return sb.Append("</main></body></html>\n").ToString();
    }

    static string Page(NotebookDocument nb, IReadOnlyList<BookPage> pages, int index)
    {
        var sb = new StringBuilder(Head(pages[index].Title)).Append("<body>").Append(Nav(pages, index)).Append("<main>");
        int count = 0;
        foreach (var c in nb.Cells)
        {
            if (!c.IsCode) { sb.Append("<section class=\"markdown\">").Append(Markdig.Markdown.ToHtml(c.Source, Markdown)).Append("</section>"); continue; }
            count++;
            var n = c.Json["execution_count"]?.GetValueKind() == System.Text.Json.JsonValueKind.Number ? c.Json["execution_count"]!.ToString() : " ";
            sb.Append($"<section class=\"cell\" id=\"cell{c.Number}\"><details open><summary>In [{E(n)}] <span class=\"where\">cell {c.Number}</span></summary>")
              .Append($"<pre class=\"code\"><code>{E(c.Source)}</code></pre></details>");
            foreach (var o in c.Json["outputs"]?.AsArray() ?? []) sb.Append(Output(o!));
            sb.Append("</section>");
        }
        if (index + 1 < pages.Count) sb.Append($"<p class=\"next\">Next: <a href=\"{E(pages[index + 1].File)}\">{E(pages[index + 1].Title)}</a></p>");
        return sb.Append("</main></body></html>\n").ToString();
    }

    static string Output(JsonNode o)
    {
        switch ((string?)o["output_type"])
        {
            case "stream":
                return $"<pre class=\"output stream {E((string?)o["name"] ?? "")}\">{E(NotebookDocument.JoinSource(o["text"]))}</pre>";
            case "error":
                return $"<pre class=\"output error\">{E((string?)o["ename"] ?? "error")}: {E((string?)o["evalue"] ?? "")}</pre>";
            case "display_data" or "execute_result":
                var data = o["data"]?.AsObject();
                if (data is null) return "";
                if (data[RecordedResult.MimeType] is { } r)
                    return $"<div class=\"output result\">recorded: <code>{E((string?)r["name"] ?? "")}</code> = {E(r["value"]?.ToString() ?? "")}{(r["unit"] is { } u ? " " + E(u.ToString()) : "")}</div>";
                if (data["text/html"] is { } html)
                    return $"<div class=\"output html\">{Plots.WithoutLibrary(NotebookDocument.JoinSource(html))}</div>";
                if (data["image/png"] is { } png)
                    return $"<div class=\"output\"><img alt=\"figure\" src=\"data:image/png;base64,{NotebookDocument.JoinSource(png).Replace("\n", "")}\"></div>";
                var text = NotebookDocument.JoinSource(data["text/plain"]);
                return text.Length == 0 ? "" : $"<pre class=\"output\">{E(text)}</pre>";
            default:
                return "";
        }
    }

    static string E(string s) => WebUtility.HtmlEncode(s);

    const string Css = """
        body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; display: flex; }
        nav { position: sticky; top: 0; align-self: flex-start; height: 100vh; overflow-y: auto; width: 270px; flex: none;
              padding: 1rem; box-sizing: border-box; background: #f6f8fa; border-right: 1px solid #d0d7de; font-size: 14px; }
        nav ol { list-style: none; padding-left: .8rem; } nav > ol { padding-left: 0; } nav li { margin: .25rem 0; } nav li.current > a { font-weight: 600; } nav .book a { font-weight: 700; font-size: 18px; }
        main { max-width: 960px; padding: 1rem 2rem 4rem; box-sizing: border-box; min-width: 0; }
        a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
        pre { overflow-x: auto; padding: .6rem .8rem; border-radius: 6px; font-size: 13px; line-height: 1.4; }
        pre.code { background: #f6f8fa; border: 1px solid #d0d7de; }
        pre.output { background: #fff; border-left: 3px solid #8c959f; white-space: pre-wrap; }
        pre.error { border-left-color: #cf222e; color: #cf222e; }
        .result { font-size: 13px; color: #57606a; margin: .2rem 0; }
        summary { cursor: pointer; color: #57606a; font-size: 13px; } .where { color: #8c959f; }
        table { border-collapse: collapse; font-size: 14px; margin: .6rem 0; } th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; }
        th { background: #f6f8fa; } .output.html { overflow-x: auto; } .bad { color: #cf222e; font-weight: 600; }
        .file { color: #57606a; font-size: 13px; } .next { margin-top: 2rem; font-weight: 600; }
        blockquote { margin: 0; padding-left: 1rem; border-left: 3px solid #d0d7de; color: #57606a; }
        """;
}
