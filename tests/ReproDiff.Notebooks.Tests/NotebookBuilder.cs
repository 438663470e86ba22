using System.Text.Json.Nodes;

namespace ReproDiff.Notebooks.Tests;

/// <summary>Writes small Polyglot-format notebooks into a fresh temp folder for runner tests.</summary>
public sealed class NotebookBuilder
{
    readonly JsonArray cells = [];
    public string Folder { get; }

    /// <param name="inCheckout">Create the folder under the checkout's artifacts/ (the kernel runner finds dotnet-repl through the checkout's tool manifest).</param>
    public NotebookBuilder(bool inCheckout = false)
    {
        if (!inCheckout) { Folder = Directory.CreateTempSubdirectory("reprodiff-nb").FullName; return; }
        Folder = Path.Combine(Runtime.RepositoryLocator.FindRoot()!, "artifacts", "test-notebooks", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Folder);
    }

    public NotebookBuilder Markdown(string text) => Add("markdown", text, null, null);
    public NotebookBuilder Code(string text, string? kernel = "csharp", params string[] tags) => Add("code", text, kernel, tags);
    public NotebookBuilder Parameters(string text) => Add("code", text, "csharp", ["parameters"]);

    NotebookBuilder Add(string type, string text, string? kernel, string[]? tags)
    {
        var meta = new JsonObject();
        if (type == "code" && kernel is not null)
        {
            meta["dotnet_interactive"] = new JsonObject { ["language"] = kernel };
            meta["polyglot_notebook"] = new JsonObject { ["kernelName"] = kernel };
        }
        if (tags is { Length: > 0 }) meta["tags"] = new JsonArray(tags.Select(t => (JsonNode)t).ToArray());
        var cell = new JsonObject { ["cell_type"] = type, ["metadata"] = meta, ["source"] = NotebookDocument.SplitSource(text) };
        if (type == "code") { cell["execution_count"] = null; cell["outputs"] = new JsonArray(); }
        cells.Add(cell);
        return this;
    }

    public string Save(string name = "test.ipynb")
    {
        var nb = new JsonObject
        {
            ["cells"] = cells.DeepClone(),
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["polyglot_notebook"] = new JsonObject { ["kernelInfo"] = new JsonObject { ["defaultKernelName"] = "csharp" } },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, nb.ToJsonString());
        return path;
    }

    /// <summary>A notebook whose setup and parameters cells are valid, followed by <paramref name="cell"/>.</summary>
    public static string WithCell(string cell, string name = "test.ipynb") =>
        new NotebookBuilder()
            .Code("#r \"nuget: TorchSharp-cpu, 0.107.0\"\nusing ReproDiff.Reporting;")
            .Parameters("string Profile = \"quick\";\nint Seed = 1;")
            .Code(cell)
            .Save(name);
}
