using System.Text.Json.Nodes;
using ReproDiff.Reporting;

namespace ReproDiff.Notebooks;

/// <summary>Collects one cell's outputs in nbformat shape. <see cref="Current"/> is the executing cell's sink.</summary>
internal sealed class OutputSink
{
    public static OutputSink? Current { get; set; }

    public JsonArray Outputs { get; } = [];
    /// <summary>Console.Out and Console.Error of the cell: text is flushed into a stream output before any other output, so order is kept.</summary>
    public TextWriter Stdout { get; }
    public TextWriter Stderr { get; }
    public List<RecordedResult> Results { get; } = [];
    readonly OutputFormatter formatter;

    public OutputSink(OutputFormatter formatter)
    {
        this.formatter = formatter;
        Stdout = TextWriter.Synchronized(new StreamWriterFor(this, "stdout"));
        Stderr = TextWriter.Synchronized(new StreamWriterFor(this, "stderr"));
    }

    readonly Dictionary<string, System.Text.StringBuilder> pending = new() { ["stdout"] = new(), ["stderr"] = new() };

    /// <summary>Moves buffered console text into stream outputs.</summary>
    public void Flush()
    {
        lock (pending)
            foreach (var (name, sb) in pending)
            {
                if (sb.Length == 0) continue;
                var text = sb.ToString();
                sb.Clear();
                if (Outputs.Count > 0 && Outputs[^1] is JsonObject last && (string?)last["output_type"] == "stream" && (string?)last["name"] == name)
                    last["text"] = NotebookDocument.SplitSource(NotebookDocument.JoinSource(last["text"]) + text);
                else Outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = NotebookDocument.SplitSource(text) });
            }
    }

    sealed class StreamWriterFor(OutputSink sink, string name) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public override void Write(char value) { lock (sink.pending) sink.pending[name].Append(value); }
        public override void Write(string? value) { lock (sink.pending) sink.pending[name].Append(value); }
    }

    public static DisplayedValue Display(object? value, string[] mimeTypes)
    {
        var sink = Current ?? throw new InvalidOperationException("display() called outside a running cell.");
        sink.Flush();
        sink.Outputs.Add(sink.DisplayData(value, mimeTypes));
        return new DisplayedValue(sink.Outputs.Count - 1);
    }

    public void Replace(int index, object? value)
    {
        if (index < Outputs.Count) Outputs[index] = DisplayData(value, []);
    }

    JsonObject DisplayData(object? value, string[] mimeTypes) => new()
    {
        ["output_type"] = "display_data",
        ["data"] = formatter.Format(value, mimeTypes),
        ["metadata"] = new JsonObject(),
    };

    public void ExecuteResult(object? value, int count) => Add(new JsonObject
    {
        ["output_type"] = "execute_result",
        ["data"] = formatter.Format(value, []),
        ["metadata"] = new JsonObject(),
        ["execution_count"] = count,
    });

    public void Record(RecordedResult r)
    {
        Results.Add(r);
        Add(new JsonObject
        {
            ["output_type"] = "display_data",
            ["data"] = new JsonObject
            {
                [RecordedResult.MimeType] = new JsonObject { ["name"] = r.Name, ["value"] = r.Value switch { double d => JsonValue.Create(d), long l => JsonValue.Create(l), bool b => JsonValue.Create(b), _ => JsonValue.Create(r.Value.ToString()) }, ["unit"] = r.Unit },
                ["text/plain"] = NotebookDocument.SplitSource(r.ToString()),
            },
            ["metadata"] = new JsonObject(),
        });
    }

    void Add(JsonObject output) { Flush(); Outputs.Add(output); }

    public void Error(string ename, string evalue, IEnumerable<string> traceback) => Add(new JsonObject
    {
        ["output_type"] = "error",
        ["ename"] = ename,
        ["evalue"] = evalue,
        ["traceback"] = new JsonArray(traceback.Select(t => (JsonNode)t).ToArray()),
    });
}
