using ReproDiff.Reporting;

namespace ReproDiff.Notebooks;

/// <summary>How one notebook ran: per-cell timings, the first error (as <c>file#cellN(line,col): message</c>) and its recorded results.</summary>
public sealed record NotebookResult
{
    public required string Notebook { get; init; }
    public required string Status { get; init; } // passed | failed
    public int CellsRun { get; init; }
    public int CodeCells { get; init; }
    public double Seconds { get; init; }
    public string? Error { get; init; }
    public string? ExecutedPath { get; init; }
    public List<CellTiming> Cells { get; init; } = [];
    public List<RecordedResult> Results { get; init; } = [];

    public bool Passed => Status == "passed";

    /// <summary>The value recorded under <paramref name="name"/> as a double; a missing or non-numeric result throws, naming it.</summary>
    public double Number(string name)
    {
        var r = Results.LastOrDefault(x => x.Name == name)
                ?? throw new KeyNotFoundException($"{Notebook} recorded no result '{name}' (it recorded: {string.Join(", ", Results.Select(x => x.Name))}).");
        return r.Value switch
        {
            double d => d,
            long l => l,
            int i => i,
            System.Text.Json.JsonElement e when e.ValueKind == System.Text.Json.JsonValueKind.Number => e.GetDouble(),
            _ => throw new InvalidCastException($"{Notebook}: result '{name}' is {r.Value}, not a number."),
        };
    }

    public string Text(string name) => Results.LastOrDefault(x => x.Name == name)?.Value.ToString()
        ?? throw new KeyNotFoundException($"{Notebook} recorded no result '{name}'.");
}

public sealed record CellTiming(int Cell, double Seconds);
