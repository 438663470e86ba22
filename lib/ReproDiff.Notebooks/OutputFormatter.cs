using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Net;
using System.Text;
using Microsoft.Data.Analysis;
using ReproDiff.Reporting;

namespace ReproDiff.Notebooks;

/// <summary>
/// Turns displayed values into nbformat MIME bundles, as the kernel does: a <see cref="Figure"/> or chart HTML from
/// <see cref="Plots.Html"/> as its HTML fragment (the library inlines plotly.js in the first chart of a notebook, see
/// <see cref="Plots.NewPage"/>), a DataFrame as an HTML table (the kernel's Microsoft.Data.Analysis extension), other
/// values as text. Every chart is also saved as a standalone offline HTML file in <c>figureFolder</c>.
/// </summary>
internal sealed class OutputFormatter(string? figureFolder)
{
    int figures;

    public JsonObject Format(object? value, string[] mimeTypes)
    {
        var bundle = new JsonObject();
        switch (value)
        {
            case null:
                bundle["text/plain"] = "<null>";
                break;
            case string s when mimeTypes.Contains("text/html"):
                bundle["text/html"] = NotebookDocument.SplitSource(Html(s));
                break;
            case string s:
                bundle["text/plain"] = NotebookDocument.SplitSource(s);
                break;
            case HtmlContent h:
                bundle["text/html"] = NotebookDocument.SplitSource(Html(h.Html));
                break;
            case Figure figure:
                bundle["text/html"] = NotebookDocument.SplitSource(Html(Plots.Html(figure)));
                break;
            case DataFrame frame:
                bundle["text/html"] = NotebookDocument.SplitSource(FrameHtml(frame));
                break;
            case TorchSharp.torch.Tensor t:
                bundle["text/plain"] = NotebookDocument.SplitSource(t.ToString(TorchSharp.TensorStringStyle.Numpy));
                break;
            default:
                if (value.GetType().GetMethod("ToHtml", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is { } toHtml
                    && toHtml.ReturnType == typeof(string))
                    bundle["text/html"] = NotebookDocument.SplitSource(Html((string)toHtml.Invoke(value, null)!));
                bundle["text/plain"] = NotebookDocument.SplitSource(PlainText(value));
                break;
        }
        return bundle;
    }

    static string PlainText(object value) => value switch
    {
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable e when value.GetType().GetMethod("ToString", Type.EmptyTypes)?.DeclaringType == typeof(object) =>
            "[" + string.Join(", ", e.Cast<object?>().Take(100).Select(x => x is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : x?.ToString())) + "]",
        _ => value.ToString() ?? "",
    };

    /// <summary>HTML as shown; a chart fragment is also saved as a standalone figure file.</summary>
    string Html(string html)
    {
        if (figureFolder is not null && html.Contains(Plots.Marker, StringComparison.Ordinal))
        {
            Directory.CreateDirectory(figureFolder);
            AtomicFile.WriteAllText(Path.Combine(figureFolder, $"figure-{++figures:D2}.html"), Plots.Standalone(html));
        }
        return html;
    }

    /// <summary>A DataFrame as an HTML table with an index column, like the kernel's DataFrame formatter (first 1,000 rows).</summary>
    internal static string FrameHtml(DataFrame frame)
    {
        var sb = new StringBuilder("<table class=\"reprodiff-frame\"><thead><tr><th><i>index</i></th>");
        foreach (var c in frame.Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c.Name)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        for (long i = 0; i < Math.Min(frame.Rows.Count, 1000); i++)
        {
            sb.Append("<tr><td><i>").Append(i).Append("</i></td>");
            foreach (var c in frame.Columns)
                sb.Append("<td>").Append(WebUtility.HtmlEncode(c[i] is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : c[i]?.ToString() ?? "")).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }
}
