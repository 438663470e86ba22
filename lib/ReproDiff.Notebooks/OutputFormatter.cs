using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Plotly.NET;
using ReproDiff.Reporting;

namespace ReproDiff.Notebooks;

/// <summary>
/// Turns displayed values into nbformat MIME bundles. Plotly charts (a <see cref="GenericChart"/>, or HTML from
/// <see cref="Plots.Html"/>) become self-contained HTML that renders offline: plotly.js is inlined in front of the first
/// chart of a notebook and later charts reuse it (one page, one library). Every chart is also saved as a standalone
/// offline HTML file in <c>figureFolder</c>.
/// </summary>
internal sealed class OutputFormatter(string? figureFolder)
{
    bool plotlyInlined;
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
            case GenericChart chart:
                bundle["text/html"] = NotebookDocument.SplitSource(Html(Plots.Html(chart)));
                bundle["text/plain"] = "Plotly chart";
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

    /// <summary>HTML as shown; a Plotly fragment is saved as a figure file and gets plotly.js inlined the first time.</summary>
    string Html(string html)
    {
        if (!html.Contains(Plots.Marker, StringComparison.Ordinal)) return html;
        if (figureFolder is not null)
        {
            Directory.CreateDirectory(figureFolder);
            AtomicFile.WriteAllText(Path.Combine(figureFolder, $"figure-{++figures:D2}.html"), Plots.Standalone(html));
        }
        if (plotlyInlined) return html;
        plotlyInlined = true;
        return $"<script type=\"text/javascript\">{Plots.PlotlyJs}</script>\n{html}";
    }
}
