using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ReproDiff.Reporting;

/// <summary>One named line or point cloud of a chart; <paramref name="ErrorY"/> gives ± error bars (e.g. std over seeds).</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? ErrorY = null);

/// <summary>A labelled point (a model on an accuracy–cost chart) with optional ± errors on each axis.</summary>
public sealed record LabelledPoint(string Label, double X, double Y, double? ErrorX = null, double? ErrorY = null);

/// <summary>One group of bars: a value (and optional ± error) per category.</summary>
public sealed record BarGroup(string Name, IReadOnlyList<double> Values, IReadOnlyList<double>? Errors = null);

/// <summary>
/// A plotly.js figure: its <c>data</c> (traces) and <c>layout</c> as JSON, exactly what <c>Plotly.newPlot</c> takes.
/// The library builds figures itself instead of through Plotly.NET, because Plotly.NET needs FSharp.Core 10.1 and the
/// .NET Interactive kernel ships 10.0 (environment/README.md, "Charts and tables").
/// </summary>
public sealed class Figure(JsonArray data, JsonObject layout)
{
    public JsonArray Data { get; } = data;
    public JsonObject Layout { get; } = layout;

    /// <summary>The figure as plotly.js JSON: <c>{"data": [...], "layout": {...}}</c>.</summary>
    public string ToJson() => new JsonObject { ["data"] = Data.DeepClone(), ["layout"] = Layout.DeepClone() }.ToJsonString();

    public override string ToString() => $"Figure: {(string?)Layout["title"]?["text"]} ({Data.Count} trace(s))";
}

/// <summary>
/// Charts for the notebooks and reports, drawn by plotly.js. plotly.js is taken at build time from the Plotly.NET
/// package (it embeds the minified file) and embedded in this library, so charts render offline: the first fragment
/// of a page carries plotly.js inline and later ones reuse it. Works the same in the .NET Interactive kernel
/// (VS Code, Jupyter, dotnet-repl), in the headless runner and in standalone files.
/// </summary>
public static class Plots
{
    public const string PlotlyVersion = "2.28.0";
    /// <summary>Marks chart fragments, so the runner can save each as a standalone figure file.</summary>
    public const string Marker = "data-reprodiff-plotly";
    /// <summary>Marks the inline plotly.js block that the first fragment of a page carries.</summary>
    public const string LibraryMarker = "data-reprodiff-plotlyjs";

    static readonly Lazy<string> plotlyJs = new(() =>
    {
        using var s = typeof(Plots).Assembly.GetManifestResourceStream("ReproDiff.plotly.min.js")
                      ?? throw new InvalidOperationException("plotly.js is not embedded in ReproDiff.dll (the build extracts it from the Plotly.NET package).");
        return new StreamReader(s).ReadToEnd();
    });

    /// <summary>plotly.js itself (no network needed).</summary>
    public static string PlotlyJs => plotlyJs.Value;

    static int pageHasLibrary;

    /// <summary>Starts a new page: the next <see cref="Html"/> fragment carries plotly.js again (the runner calls this per notebook).</summary>
    public static void NewPage() => Interlocked.Exchange(ref pageHasLibrary, 0);

    public static Figure Lines(string title, string xTitle, string yTitle, IEnumerable<Series> series, bool logY = false, bool markers = false) =>
        Make(title, xTitle, yTitle, logY, series.Select(s => Trace(s, markers ? "lines+markers" : "lines")));

    public static Figure Points(string title, string xTitle, string yTitle, IEnumerable<Series> series) =>
        Make(title, xTitle, yTitle, false, series.Select(s =>
        {
            var t = Trace(s, "markers");
            t["opacity"] = 0.6;
            t["marker"] = new JsonObject { ["size"] = 5 };
            return t;
        }));

    /// <summary>
    /// Point clouds side by side, one panel each (small multiples), every panel on the same <paramref name="range"/> for
    /// both axes and drawn square, so that distances read the same in every direction and every panel (a point cloud
    /// in the plane). Panel titles stand above the panels; each panel has its own colour.
    /// </summary>
    public static Figure PointPanels(string title, string xTitle, string yTitle, IReadOnlyList<(string Title, Series Points)> panels, (double Min, double Max) range)
    {
        if (panels.Count == 0) throw new ArgumentException("no panels.", nameof(panels));
        if (!(range.Max > range.Min)) throw new ArgumentException($"range ({range.Min}, {range.Max}) is empty.", nameof(range));
        string[] colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
        const double gap = 0.03, panelPixels = 260, left = 60, right = 20, top = 70, bottom = 60;
        int n = panels.Count;
        var width = (panelPixels + 2 * gap * panelPixels * n) * n + left + right;
        var layout = new JsonObject
        {
            ["title"] = new JsonObject { ["text"] = title },
            ["width"] = Math.Round(width),
            ["height"] = panelPixels + top + bottom,
            ["showlegend"] = false,
            ["margin"] = new JsonObject { ["l"] = left, ["r"] = right, ["t"] = top, ["b"] = bottom },
        };
        var annotations = new JsonArray();
        var traces = new List<JsonObject>();
        for (int k = 0; k < n; k++)
        {
            var suffix = k == 0 ? "" : (k + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            double from = (double)k / n + gap, to = (double)(k + 1) / n - gap;
            var t = Trace(panels[k].Points, "markers");
            t["xaxis"] = "x" + suffix;
            t["yaxis"] = "y" + suffix;
            t["opacity"] = 0.5;
            t["marker"] = new JsonObject { ["size"] = 4, ["color"] = colours[k % colours.Length] };
            traces.Add(t);
            layout["xaxis" + suffix] = new JsonObject
            {
                ["domain"] = new JsonArray(from, to), ["range"] = new JsonArray(range.Min, range.Max), ["anchor"] = "y" + suffix,
                ["title"] = new JsonObject { ["text"] = xTitle },
            };
            layout["yaxis" + suffix] = new JsonObject
            {
                ["range"] = new JsonArray(range.Min, range.Max), ["anchor"] = "x" + suffix, ["scaleanchor"] = "x" + suffix,
                ["title"] = new JsonObject { ["text"] = k == 0 ? yTitle : "" },
            };
            annotations.Add(new JsonObject
            {
                ["text"] = panels[k].Title, ["showarrow"] = false, ["xref"] = "paper", ["yref"] = "paper",
                ["x"] = (from + to) / 2, ["y"] = 1.0, ["xanchor"] = "center", ["yanchor"] = "bottom",
            });
        }
        layout["annotations"] = annotations;
        return new Figure(new JsonArray(traces.Cast<JsonNode?>().ToArray()), layout);
    }

    /// <summary>
    /// One labelled point per model, with ± error bars on both axes where given (e.g. the 95% interval over seeds); the
    /// label is drawn beside the point. <paramref name="logX"/> for costs that span orders of magnitude.
    /// </summary>
    public static Figure Labelled(string title, string xTitle, string yTitle, IEnumerable<LabelledPoint> points, bool logX = false)
    {
        var traces = points.Select(p =>
        {
            var t = new JsonObject
            {
                ["type"] = "scatter", ["mode"] = "markers+text", ["name"] = p.Label, ["x"] = Numbers([p.X]), ["y"] = Numbers([p.Y]),
                ["text"] = Strings([p.Label]), ["textposition"] = "top center", ["marker"] = new JsonObject { ["size"] = 9 },
            };
            if (p.ErrorX is { } ex) t["error_x"] = new JsonObject { ["type"] = "data", ["array"] = Numbers([ex]), ["visible"] = true };
            if (p.ErrorY is { } ey) t["error_y"] = new JsonObject { ["type"] = "data", ["array"] = Numbers([ey]), ["visible"] = true };
            return t;
        });
        var fig = Make(title, xTitle, yTitle, false, traces);
        if (logX) fig.Layout["xaxis"]!["type"] = "log";
        fig.Layout["showlegend"] = false;
        return fig;
    }

    /// <summary>A heat map of <paramref name="z"/>[row, column] with a text per cell (e.g. a significance matrix: differences and marks).</summary>
    public static Figure Heatmap(string title, IReadOnlyList<string> rows, IReadOnlyList<string> columns, double[,] z, string[,] text, string colourTitle)
    {
        if (z.GetLength(0) != rows.Count || z.GetLength(1) != columns.Count || text.GetLength(0) != rows.Count || text.GetLength(1) != columns.Count)
            throw new ArgumentException($"heat map '{title}': z and text must be {rows.Count} × {columns.Count}.");
        JsonArray Matrix<T>(T[,] m, Func<T, JsonNode?> cell) => new(Enumerable.Range(0, rows.Count)
            .Select(i => (JsonNode?)new JsonArray(Enumerable.Range(0, columns.Count).Select(j => cell(m[i, j])).ToArray())).ToArray());
        var max = Enumerable.Range(0, rows.Count).SelectMany(i => Enumerable.Range(0, columns.Count).Select(j => Math.Abs(z[i, j]))).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        var trace = new JsonObject
        {
            ["type"] = "heatmap", ["x"] = Strings(columns), ["y"] = Strings(rows),
            ["z"] = Matrix(z, v => double.IsFinite(v) ? JsonValue.Create(v) : null), ["text"] = Matrix(text, v => JsonValue.Create(v)),
            ["texttemplate"] = "%{text}", ["colorscale"] = "RdBu", ["zmid"] = 0, ["zmin"] = -max, ["zmax"] = max,
            ["colorbar"] = new JsonObject { ["title"] = new JsonObject { ["text"] = colourTitle } },
        };
        var fig = Make(title, "", "", false, [trace]);
        fig.Layout["xaxis"]!["type"] = "category";             // Make's default linear axes would place string labels at NaN
        fig.Layout["yaxis"]!["type"] = "category";
        fig.Layout["yaxis"]!["autorange"] = "reversed";
        fig.Layout["height"] = Math.Max(360, 42 * rows.Count + 160);
        return fig;
    }

    /// <summary>Grouped bars over <paramref name="categories"/>; category labels are never clipped (automargin).</summary>
    public static Figure Bars(string title, string yTitle, IReadOnlyList<string> categories, IEnumerable<BarGroup> groups, string xTitle = "")
    {
        var traces = groups.Select(g =>
        {
            if (g.Values.Count != categories.Count)
                throw new ArgumentException($"bar group '{g.Name}' has {g.Values.Count} values for {categories.Count} categories.", nameof(groups));
            var t = new JsonObject { ["type"] = "bar", ["name"] = g.Name, ["x"] = Strings(categories), ["y"] = Numbers(g.Values) };
            if (g.Errors is { } e) t["error_y"] = new JsonObject { ["type"] = "data", ["array"] = Numbers(e), ["visible"] = true };
            return t;
        });
        var fig = Make(title, xTitle, yTitle, false, traces);
        fig.Layout["barmode"] = "group";
        return fig;
    }

    /// <summary>Bars from (name, values) pairs, without error bars.</summary>
    public static Figure Bars(string title, string yTitle, IReadOnlyList<string> categories, IEnumerable<(string Name, IReadOnlyList<double> Values)> groups) =>
        Bars(title, yTitle, categories, groups.Select(g => new BarGroup(g.Name, g.Values)));

    static JsonObject Trace(Series s, string mode)
    {
        if (s.X.Count != s.Y.Count) throw new ArgumentException($"series '{s.Name}' has {s.X.Count} x and {s.Y.Count} y values.");
        var t = new JsonObject { ["type"] = "scatter", ["mode"] = mode, ["name"] = s.Name, ["x"] = Numbers(s.X), ["y"] = Numbers(s.Y) };
        if (s.ErrorY is { } e) t["error_y"] = new JsonObject { ["type"] = "data", ["array"] = Numbers(e), ["visible"] = true };
        return t;
    }

    static Figure Make(string title, string xTitle, string yTitle, bool logY, IEnumerable<JsonObject> traces)
    {
        var data = new JsonArray(traces.Cast<JsonNode?>().ToArray());
        var layout = new JsonObject
        {
            ["title"] = new JsonObject { ["text"] = title },
            ["width"] = 760,
            ["height"] = 440,
            ["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = xTitle }, ["automargin"] = true },
            ["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = yTitle }, ["type"] = logY ? "log" : "linear", ["automargin"] = true },
            ["legend"] = new JsonObject { ["orientation"] = "h", ["y"] = -0.25 },
            ["margin"] = new JsonObject { ["t"] = 60, ["b"] = 40 },
        };
        return new Figure(data, layout);
    }

    // NaN/∞ are not JSON: plotly.js reads null as a gap.
    static JsonArray Numbers(IEnumerable<double> values) => new(values.Select(v => double.IsFinite(v) ? JsonValue.Create(v) : null).Cast<JsonNode?>().ToArray());
    static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>
    /// An HTML fragment that draws the figure, for <c>display(HTML(...))</c> in VS Code, Jupyter or dotnet-repl. The first
    /// fragment of a page (process, or since <see cref="NewPage"/>) carries plotly.js inline; later fragments wait for it
    /// and fall back to the CDN only if the page has none (for example when the first chart's output was cleared).
    /// </summary>
    public static string Html(Figure figure)
    {
        var id = "reprodiff-" + Guid.NewGuid().ToString("N")[..12];
        var library = Interlocked.Exchange(ref pageHasLibrary, 1) == 0
            ? $"<script type=\"text/javascript\" {LibraryMarker}=\"{PlotlyVersion}\">{PlotlyJs}</script>\n" : "";
        var json = figure.ToJson().Replace("</", "<\\/", StringComparison.Ordinal);
        var draw = $$"""
            <script type="text/javascript">
            (function () {
              var fig = {{json}};
              var draw = function () { Plotly.newPlot('{{id}}', fig.data, fig.layout, { responsive: true }); };
              var tries = 0;
              var wait = function () {
                if (window.Plotly) { draw(); return; }
                if (++tries < 20) { setTimeout(wait, 50); return; }
                var s = document.createElement('script');
                s.src = 'https://cdn.plot.ly/plotly-{{PlotlyVersion}}.min.js'; s.onload = draw; document.head.appendChild(s);
              };
              wait();
            })();
            </script>
            """;
        return $"{library}<div {Marker}=\"{PlotlyVersion}\"><div id=\"{id}\" aria-label=\"{WebUtility.HtmlEncode((string?)figure.Layout["title"]?["text"] ?? "chart")}\"></div>\n{draw}</div>";
    }

    /// <summary>Removes the inline plotly.js block from a fragment (the caller supplies plotly.js once per page).</summary>
    public static string WithoutLibrary(string fragment)
    {
        var start = fragment.IndexOf($"<script type=\"text/javascript\" {LibraryMarker}", StringComparison.Ordinal);
        if (start < 0) return fragment;
        var end = fragment.IndexOf("</script>\n", start, StringComparison.Ordinal);
        return end < 0 ? fragment : fragment.Remove(start, end + "</script>\n".Length - start);
    }

    /// <summary>A complete HTML page with plotly.js inlined once around fragments from <see cref="Html"/>: renders offline.</summary>
    public static string Standalone(string fragment, string title = "ReproDiff") =>
        $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(title)}</title>" +
        $"<script type=\"text/javascript\">{PlotlyJs}</script></head>\n<body>{WithoutLibrary(fragment)}</body></html>\n";

    /// <summary>
    /// Saves the figure as a self-contained offline HTML file at <paramref name="path"/> and, when given, its data as
    /// <c>path</c> with extension .json. Both are written to a temp file first and moved into place.
    /// </summary>
    public static void Save(Figure figure, string path, object? data = null)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var page = $"<div id=\"{id}\"></div><script type=\"text/javascript\">var f = {figure.ToJson().Replace("</", "<\\/", StringComparison.Ordinal)}; Plotly.newPlot('{id}', f.data, f.layout);</script>";
        AtomicFile.WriteAllText(path, Standalone(page, (string?)figure.Layout["title"]?["text"] ?? "chart"));
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
