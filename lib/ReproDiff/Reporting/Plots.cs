using System.Text.Json;
using System.Text.RegularExpressions;
using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;

namespace ReproDiff.Reporting;

/// <summary>One named line or point cloud of a chart.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// Plotly charts for the notebooks and reports. <see cref="Html"/> gives a fragment for <c>display(HTML(...))</c> in VS Code
/// or Jupyter (it loads plotly.js from the CDN only when the page has none); <see cref="Save"/> writes a self-contained file
/// with plotly.js inlined, which renders offline, and the chart's data beside it as JSON.
/// </summary>
public static partial class Plots
{
    public const string PlotlyVersion = "2.28.0";
    /// <summary>Marks HTML produced by <see cref="Html"/>, so the headless runner can inline plotly.js once per notebook.</summary>
    public const string Marker = "data-reprodiff-plotly";

    static readonly Lazy<string> plotlyJs = new(() =>
    {
        using var s = typeof(GenericChart).Assembly.GetManifestResourceStream($"Plotly.NET.plotly-{PlotlyVersion}.min.js")
                      ?? throw new InvalidOperationException($"plotly.js {PlotlyVersion} is not embedded in Plotly.NET.");
        return new StreamReader(s).ReadToEnd();
    });

    /// <summary>plotly.js itself, from the copy embedded in Plotly.NET (no network needed).</summary>
    public static string PlotlyJs => plotlyJs.Value;

    public static GenericChart Lines(string title, string xTitle, string yTitle, IEnumerable<Series> series, bool logY = false, bool markers = false) =>
        Style(Chart.Combine(series.Select(s => Chart.Line<double, double, string>(x: s.X, y: s.Y, Name: s.Name, ShowMarkers: markers))), title, xTitle, yTitle, logY);

    public static GenericChart Points(string title, string xTitle, string yTitle, IEnumerable<Series> series) =>
        Style(Chart.Combine(series.Select(s => Chart.Point<double, double, string>(x: s.X, y: s.Y, Name: s.Name, Opacity: 0.6))), title, xTitle, yTitle, false);

    public static GenericChart Bars(string title, string yTitle, IReadOnlyList<string> categories, IEnumerable<(string Name, IReadOnlyList<double> Values)> groups) =>
        Style(Chart.Combine(groups.Select(g => Chart.Column<double, string, string>(values: g.Values, Keys: new Plotly.NET.CSharp.Optional<IEnumerable<string>>(categories, true), Name: g.Name))), title, "", yTitle, false);

    static GenericChart Style(GenericChart chart, string title, string xTitle, string yTitle, bool logY) =>
        Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(
                Plotly.NET.CSharp.GenericChartExtensions.WithXAxisStyle<double, double, string>(chart, TitleText: xTitle), TitleText: yTitle,
                AxisType: logY ? StyleParam.AxisType.Log : StyleParam.AxisType.Linear)
            .WithTitleText(title);

    static GenericChart WithTitleText(this GenericChart chart, string title) =>
        Plotly.NET.Chart.withSize(760.0, 420.0).Invoke(Plotly.NET.Chart.withTitle(title, null).Invoke(chart));

    [GeneratedRegex(@"(renderPlotly_\w+)\(\);\s*</script>")]
    private static partial Regex RenderCall();

    /// <summary>
    /// An HTML fragment that draws the chart: plotly.js from the page if present, else from the CDN. For offline copies the
    /// headless runner puts the embedded plotly.js in front of the first such fragment of a notebook.
    /// </summary>
    public static string Html(GenericChart chart)
    {
        var html = GenericChart.toChartHTML(chart);
        var loader = $"if (window.Plotly) {{ $1(); }} else {{ var s = document.createElement('script'); " +
                     $"s.src = 'https://cdn.plot.ly/plotly-{PlotlyVersion}.min.js'; s.onload = $1; document.head.appendChild(s); }}\n</script>";
        return $"<div {Marker}=\"{PlotlyVersion}\">" + RenderCall().Replace(html, loader, 1) + "</div>";
    }

    /// <summary>A complete HTML page with plotly.js inlined around a fragment from <see cref="Html"/>: renders offline.</summary>
    public static string Standalone(string fragment) =>
        $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><script type=\"text/javascript\">{PlotlyJs}</script></head>\n<body>{fragment}</body></html>\n";

    /// <summary>
    /// Saves the chart as a self-contained offline HTML file at <paramref name="path"/> and, when given, its data as
    /// <c>path</c> with extension .json. Both are written to a temp file first and moved into place.
    /// </summary>
    public static void Save(GenericChart chart, string path, object? data = null)
    {
        AtomicFile.WriteAllText(path, Standalone(Html(chart)));
        if (data is not null)
            AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), JsonSerializer.Serialize(data, new JsonSerializerOptions(JsonSerializerOptions.Default) { WriteIndented = true }));
    }
}

/// <summary>Writes a file through a temp file in the same folder and a rename, so a reader never sees half a file.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(tmp, text);
            File.Move(tmp, full, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }
}
