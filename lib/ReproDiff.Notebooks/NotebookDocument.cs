using System.Text.Json;
using System.Text.Json.Nodes;

namespace ReproDiff.Notebooks;

/// <summary>One cell of a Polyglot .ipynb, with the kernel decided as dotnet-interactive decides it.</summary>
public sealed class NotebookCell
{
    internal NotebookCell(int number, JsonObject json, string kernel, string source)
    {
        Number = number; Json = json; Kernel = kernel; Source = source;
    }

    /// <summary>1-based position in the notebook, counting every cell (what a reader counts in the editor).</summary>
    public int Number { get; }
    public JsonObject Json { get; }
    /// <summary>csharp, markdown, html, mermaid, fsharp, pwsh, ... (canonical names of the Polyglot kernels).</summary>
    public string Kernel { get; }
    /// <summary>The source with line endings normalised to \n. A leading <c>#!kernel</c> line is kept (blanked at run time).</summary>
    public string Source { get; set; }
    public bool IsCode => (string?)Json["cell_type"] == "code";
    public IReadOnlyList<string> Tags =>
        Json["metadata"]?["tags"] is JsonArray a ? a.Select(t => (string?)t ?? "").ToList() : [];
}

/// <summary>
/// A Polyglot Notebooks .ipynb (nbformat 4) read the way <c>Microsoft.DotNet.Interactive.Documents</c> reads it:
/// cell kernel from <c>polyglot_notebook.kernelName</c>, else <c>dotnet_interactive.language</c>; a first line
/// <c>#!name</c> naming a kernel overrides both; otherwise the notebook default (<c>kernelInfo.defaultKernelName</c>,
/// else <c>kernelspec.language</c>).
/// </summary>
public sealed class NotebookDocument
{
    static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["csharp"] = "csharp", ["c#"] = "csharp", ["C#"] = "csharp",
        ["fsharp"] = "fsharp", ["f#"] = "fsharp",
        ["pwsh"] = "pwsh", ["powershell"] = "pwsh",
        ["javascript"] = "javascript", ["js"] = "javascript",
        ["html"] = "html", ["markdown"] = "markdown", ["md"] = "markdown", ["mermaid"] = "mermaid",
        ["sql"] = "sql", ["kql"] = "kql", ["value"] = "value", ["http"] = "http",
    };

    public string Path { get; }
    public string FileName => System.IO.Path.GetFileName(Path);
    public JsonObject Json { get; }
    public IReadOnlyList<NotebookCell> Cells { get; }
    public string DefaultKernel { get; }

    NotebookDocument(string path, JsonObject json, IReadOnlyList<NotebookCell> cells, string defaultKernel)
    {
        Path = path; Json = json; Cells = cells; DefaultKernel = defaultKernel;
    }

    /// <summary>Reads a notebook; malformed JSON or a missing cell list is an error naming the file.</summary>
    public static NotebookDocument Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ReproDiffException($"{path}: notebook not found.");
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(full)) as JsonObject ?? throw new JsonException("not a JSON object"); }
        catch (JsonException e) { throw new ReproDiffException($"{path}: not a valid .ipynb: {e.Message}"); }
        if (json["cells"] is not JsonArray cellArray) throw new ReproDiffException($"{path}: not a valid .ipynb: no \"cells\" array.");

        var meta = json["metadata"];
        var defaultKernel = Canonical((string?)meta?["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"])
                            ?? Canonical((string?)meta?["kernelspec"]?["language"]) ?? "csharp";
        var cells = new List<NotebookCell>();
        int n = 0;
        foreach (var node in cellArray)
        {
            n++;
            if (node is not JsonObject cell) throw new ReproDiffException($"{path}#cell{n}: not a JSON object.");
            var source = JoinSource(cell["source"]);
            string kernel;
            if ((string?)cell["cell_type"] != "code") kernel = (string?)cell["cell_type"] == "markdown" ? "markdown" : "raw";
            else
            {
                kernel = Canonical((string?)cell["metadata"]?["polyglot_notebook"]?["kernelName"])
                         ?? Canonical((string?)cell["metadata"]?["dotnet_interactive"]?["language"]) ?? defaultKernel;
                var first = source.Split('\n', 2)[0].Trim();
                if (first.StartsWith("#!", StringComparison.Ordinal) && Canonical(first[2..]) is { } k) kernel = k;
            }
            cells.Add(new NotebookCell(n, cell, kernel, source));
        }
        return new NotebookDocument(full, json, cells, defaultKernel);
    }

    /// <summary>The canonical kernel name for a name or alias, or null when it names no kernel.</summary>
    public static string? Canonical(string? name) =>
        name is not null && Aliases.TryGetValue(name.Trim(), out var k) ? k : null;

    /// <summary>nbformat's source (list of lines or one string) as one string with \n line endings.</summary>
    public static string JoinSource(JsonNode? source) => (source switch
    {
        JsonArray a => string.Concat(a.Select(l => (string?)l ?? "")),
        JsonValue v => (string?)v ?? "",
        _ => "",
    }).Replace("\r\n", "\n").Replace('\r', '\n');

    /// <summary>Splits text into nbformat's list-of-lines form (each line keeps its "\n" but the last).</summary>
    public static JsonArray SplitSource(string text)
    {
        var arr = new JsonArray();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
            if (i < lines.Length - 1) arr.Add(lines[i] + "\n");
            else if (lines[i].Length > 0) arr.Add(lines[i]);
        return arr;
    }

    /// <summary>Writes the notebook (with whatever outputs its cells now hold) to a temp file, then moves it into place.</summary>
    public void Save(string path)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(tmp, Json.ToJsonString(new JsonSerializerOptions(JsonSerializerOptions.Default) { WriteIndented = true }) + "\n");
        File.Move(tmp, path, overwrite: true);
    }
}
