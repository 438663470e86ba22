using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.FSharp.Core;
using Plotly.NET;

namespace ReproDiff.Notebooks;

/// <summary>
/// Turns displayed values into nbformat MIME bundles. Plotly charts become self-contained HTML that renders offline:
/// plotly.js is inlined in the first chart of a notebook and later charts reuse it (one page, one library); every chart
/// is also saved as a standalone HTML file beside the executed notebook.
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
            case string s:
                bundle[mimeTypes.Contains("text/html") ? "text/html" : "text/plain"] = NotebookDocument.SplitSource(s);
                break;
            case HtmlContent h:
                bundle["text/html"] = NotebookDocument.SplitSource(h.Html);
                break;
            case GenericChart chart:
                bundle["text/html"] = NotebookDocument.SplitSource(ChartHtml(chart));
                bundle["text/plain"] = "Plotly chart";
                break;
            case TorchSharp.torch.Tensor t:
                bundle["text/plain"] = NotebookDocument.SplitSource(t.ToString(TorchSharp.TensorStringStyle.Numpy));
                break;
            default:
                if (value.GetType().GetMethod("ToHtml", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is { } toHtml
                    && toHtml.ReturnType == typeof(string))
                    bundle["text/html"] = NotebookDocument.SplitSource((string)toHtml.Invoke(value, null)!);
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

    string ChartHtml(GenericChart chart)
    {
        var full = GenericChart.toEmbeddedHTML(WithReference(chart, PlotlyJSReference.Full));
        if (figureFolder is not null)
        {
            Directory.CreateDirectory(figureFolder);
            var path = Path.Combine(figureFolder, $"figure-{++figures:D2}.html");
            File.WriteAllText(path + ".tmp", full);
            File.Move(path + ".tmp", path, true);
        }
        if (!plotlyInlined) { plotlyInlined = true; return full; }
        return GenericChart.toChartHTML(WithReference(chart, PlotlyJSReference.NoReference));
    }

    static GenericChart WithReference(GenericChart chart, PlotlyJSReference reference) =>
        GenericChart.setDisplayOptions(DisplayOptions.init(null, null, null, null, null, null, FSharpOption<PlotlyJSReference>.Some(reference)), chart);
}
