using System.Globalization;

namespace ReproDiff.Reporting;

/// <summary>A named number (or word) a notebook records for tests, CI and <c>reprodiff verify</c> to read as data.</summary>
public sealed record RecordedResult(string Name, object Value, string? Unit = null)
{
    /// <summary>The MIME type under which the headless runner stores recorded results in a cell's outputs.</summary>
    public const string MimeType = "application/vnd.reprodiff.result+json";

    public override string ToString() =>
        $"{Name} = {(Value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : Value)}{(Unit is null ? "" : " " + Unit)}";
}

/// <summary>
/// The results channel. A notebook calls <see cref="Record(string, double, string?)"/>; the headless runner listens to
/// <see cref="Recorded"/> and writes each result into the executing cell as a <see cref="RecordedResult.MimeType"/>
/// output, and returns them as data. In the real .NET Interactive kernel (dotnet-repl, VS Code, Jupyter) nobody listens;
/// when the environment variable <see cref="FileVariable"/> names a file, each result is appended to it as one JSON line
/// (that is how <c>KernelRunner</c> reads a kernel run's results), otherwise the call just returns the result.
/// The library never writes to the console (progress goes through <see cref="IProgress{T}"/>).
/// </summary>
public static class ResultsChannel
{
    /// <summary>Raised for every recorded result, on the recording thread.</summary>
    public static event Action<RecordedResult>? Recorded;

    public static RecordedResult Record(string name, double value, string? unit = null) => Publish(new(Check(name), value, unit));
    public static RecordedResult Record(string name, long value, string? unit = null) => Publish(new(Check(name), value, unit));
    public static RecordedResult Record(string name, bool value) => Publish(new(Check(name), value));
    public static RecordedResult Record(string name, string value) => Publish(new(Check(name), value));

    /// <summary>Names a JSON-lines file that receives every recorded result when no listener is attached.</summary>
    public const string FileVariable = "REPRODIFF_RESULTS_FILE";

    static readonly object FileLock = new();

    static RecordedResult Publish(RecordedResult r)
    {
        if (r.Value is double d && !double.IsFinite(d))
            throw new ArgumentException($"result '{r.Name}' is {d}; only finite numbers can be recorded.", nameof(r));
        if (Recorded is { } listeners) listeners(r);
        else if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } file)
            lock (FileLock)
                File.AppendAllText(file, System.Text.Json.JsonSerializer.Serialize(new { name = r.Name, value = r.Value, unit = r.Unit }) + "\n");
        return r;
    }

    static string Check(string name) =>
        !string.IsNullOrWhiteSpace(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '@')
            ? name
            : throw new ArgumentException($"result name '{name}' must be letters, digits, '_', '.', '-' or '@'.", nameof(name));
}
