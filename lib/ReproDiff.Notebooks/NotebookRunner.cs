using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using ReproDiff.Reporting;

namespace ReproDiff.Notebooks;

/// <summary>Options of one headless run.</summary>
public sealed record NotebookRunOptions
{
    /// <summary>quick or full; injected into the parameters cell's <c>Profile</c>. Null keeps the notebook's literal.</summary>
    public string? Profile { get; init; }
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    /// <summary>Where the executed notebook goes (its figures go in a folder beside it). Null writes nothing.</summary>
    public string? OutputPath { get; init; }
}

/// <summary>
/// Runs a Polyglot .ipynb in this process with the C# kernel's semantics (design.md §4): cells in order as one
/// continued Roslyn script; <c>#r "nuget:"</c> checked against Directory.Packages.props; <c>#r "path"</c> and
/// <c>#load</c> from the notebook's folder; <c>#!time</c>; display/Display/HTML and trailing values as outputs;
/// Console output captured per cell; the working directory set to the notebook's folder. Stops at the first failing
/// cell. Process-global state (cwd, Console, torch RNG) is why <see cref="NotebookProcess"/> gives each notebook its
/// own process; this class is what runs inside it.
/// </summary>
public static partial class NotebookRunner
{
    static readonly string[] DefaultImports =
        ["System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq"];

    [GeneratedRegex("""^\s*#r\s+"nuget:\s*(?<name>[^,"]+?)\s*(?:,\s*(?<version>[^"]*?)\s*)?"\s*$""")]
    private static partial Regex NugetReference();
    [GeneratedRegex("""^\s*#r\s+"(?<path>[^"]+)"\s*$""")]
    private static partial Regex PathReference();
    [GeneratedRegex("""^\s*#i\s+"nuget:[^"]*"\s*$""")]
    private static partial Regex NugetSource();
    [GeneratedRegex("""^\s*#!(?<magic>\S+)""")]
    private static partial Regex Magic();

    static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());

    static readonly Lazy<HashSet<string>> HostAssemblies = new(() =>
        ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase));

    public static async Task<NotebookResult> RunAsync(string path, NotebookRunOptions? options = null, CancellationToken cancel = default)
    {
        options ??= new NotebookRunOptions();
        var nb = NotebookDocument.Load(path);
        var dir = Path.GetDirectoryName(nb.Path)!;

        NotebookParameters.Apply(nb, options);

        var figures = options.OutputPath is null ? null
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.OutputPath))!, Path.GetFileNameWithoutExtension(options.OutputPath) + ".figures");
        var formatter = new OutputFormatter(figures);
        Plots.NewPage(); // the notebook's first chart carries plotly.js
        var timings = new List<CellTiming>();
        var results = new List<RecordedResult>();
        string? error = null;
        int codeCells = nb.Cells.Count(c => c.IsCode && c.Kernel == "csharp"), run = 0, count = 0;
        var total = Stopwatch.StartNew();

        var baseOptions = ScriptOptions.Default
            .WithReferences(References.Value)
            .WithImports(DefaultImports)
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(dir))
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(dir))
            .WithEmitDebugInformation(true)
            .WithFileEncoding(Encoding.UTF8)
            .WithLanguageVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest);

        var oldCwd = Environment.CurrentDirectory;
        var oldOut = Console.Out; var oldErr = Console.Error;
        ScriptState<object>? state = null;
        var globals = new ScriptGlobals();
        void OnRecorded(RecordedResult r) => OutputSink.Current?.Record(r);
        ResultsChannel.Recorded += OnRecorded;
        try
        {
            Environment.CurrentDirectory = dir;
            foreach (var cell in nb.Cells)
            {
                cancel.ThrowIfCancellationRequested();
                if (!cell.IsCode) continue;
                cell.Json["outputs"] = new JsonArray();
                cell.Json["execution_count"] = null;
                if (cell.Kernel is "markdown" or "html" or "mermaid") continue;
                var location = $"{nb.FileName}#cell{cell.Number}";
                var sink = new OutputSink(formatter);
                OutputSink.Current = sink;
                var watch = Stopwatch.StartNew();
                try
                {
                    if (cell.Kernel != "csharp")
                        throw new CellException($"{location}(1,1): kernel '{cell.Kernel}' is not supported by the headless runner (C# cells only).");
                    var (code, timed) = Preprocess(cell.Source, location);
                    Console.SetOut(sink.Stdout); Console.SetError(sink.Stderr);
                    var opts = baseOptions.WithFilePath(location);
                    try
                    {
                        state = state is null
                            ? await CSharpScript.RunAsync(code, opts, globals, typeof(ScriptGlobals), cancel)
                            : await state.ContinueWithAsync(code, opts, cancel);
                    }
                    catch (CompilationErrorException e)
                    {
                        var first = e.Diagnostics.First(d => d.Severity == DiagnosticSeverity.Error);
                        throw new CellException(first.ToString(), e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
                    }
                    finally
                    {
                        Console.SetOut(oldOut); Console.SetError(oldErr);
                        sink.Flush();
                    }
                    if (state.Exception is { } ex) throw Runtime(ex, location);
                    count++;
                    cell.Json["execution_count"] = count;
                    if (EndsInExpression(state.Script)) sink.ExecuteResult(state.ReturnValue, count);
                    if (timed) { sink.Stdout.Write($"Wall time: {watch.Elapsed.TotalMilliseconds:F2}ms\n"); sink.Flush(); }
                    run++;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    var ce = e as CellException ?? Runtime(e, location);
                    error = ce.Message;
                    sink.Error(ce.Name, ce.Message, ce.Traceback);
                }
                finally
                {
                    timings.Add(new CellTiming(cell.Number, watch.Elapsed.TotalSeconds));
                    results.AddRange(sink.Results);
                    cell.Json["outputs"] = sink.Outputs;
                    OutputSink.Current = null;
                }
                if (error is not null) break;
            }
        }
        finally
        {
            ResultsChannel.Recorded -= OnRecorded;
            Environment.CurrentDirectory = oldCwd;
            Console.SetOut(oldOut); Console.SetError(oldErr);
        }

        if (options.OutputPath is not null) nb.Save(options.OutputPath);
        return new NotebookResult
        {
            Notebook = nb.FileName,
            Status = error is null ? "passed" : "failed",
            CellsRun = run,
            CodeCells = codeCells,
            Seconds = total.Elapsed.TotalSeconds,
            Error = error,
            ExecutedPath = options.OutputPath is null ? null : Path.GetFullPath(options.OutputPath),
            Cells = timings,
            Results = results,
        };
    }

    /// <summary>
    /// Blanks the directive lines Roslyn does not understand (so line numbers stay the notebook's) and checks them:
    /// <c>#!csharp</c>, <c>#!time</c>, <c>#i "nuget:"</c>, <c>#r "nuget: X, v"</c> (pinned), <c>#r "path"</c> of an
    /// assembly the host already has. Any other <c>#!magic</c> is an error.
    /// </summary>
    internal static (string Code, bool Timed) Preprocess(string source, string location)
    {
        var lines = source.Split('\n');
        bool timed = false;
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var at = $"{location}({i + 1},1)";
            if (Magic().Match(line) is { Success: true } m)
            {
                var magic = m.Groups["magic"].Value;
                if (magic == "time") timed = true;
                else if (NotebookDocument.Canonical(magic) != "csharp")
                    throw new CellException($"{at}: unknown magic command '#!{magic}' (the headless runner understands #!csharp and #!time).");
                lines[i] = "";
            }
            else if (NugetReference().Match(line) is { Success: true } r)
            {
                if (PackagePins.Check(r.Groups["name"].Value, r.Groups["version"].Success ? r.Groups["version"].Value : null) is { } why)
                    throw new CellException($"{at}: {why}.");
                lines[i] = "";
            }
            else if (NugetSource().IsMatch(line)) lines[i] = "";
            else if (PathReference().Match(line) is { Success: true } p && HostAssemblies.Value.Contains(Path.GetFileNameWithoutExtension(p.Groups["path"].Value)))
                lines[i] = ""; // the host already has this assembly (and the notebook's path may be another configuration's)
        }
        return (string.Join('\n', lines), timed);
    }

    /// <summary>
    /// Whether the cell ends in an expression without ';', whose value the notebook shows. Roslyn's internal
    /// <c>Script.HasReturnValue</c> also counts any <c>return</c> below a top-level statement, one inside a local function
    /// included, and such cells showed "&lt;null&gt;" where the .NET Interactive kernel shows nothing.
    /// </summary>
    /// <remarks>Reads the syntax tree the submission was compiled from (the compilation is cached), so the cell is not parsed twice.</remarks>
    static bool EndsInExpression(Script script) =>
        ((CompilationUnitSyntax)script.GetCompilation().SyntaxTrees.Last().GetRoot())
            .Members.OfType<GlobalStatementSyntax>().LastOrDefault() is { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } };

    /// <summary>An exception thrown by cell code, located at its innermost frame inside a cell.</summary>
    static CellException Runtime(Exception e, string location)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
        if (e is TargetInvocationException { InnerException: { } inner }) e = inner;
        var frame = new StackTrace(e, true).GetFrames()
            .FirstOrDefault(f => f.GetFileName()?.Contains("#cell", StringComparison.Ordinal) == true);
        var where = frame is null ? $"{location}(1,1)" : $"{Path.GetFileName(frame.GetFileName())}({frame.GetFileLineNumber()},{Math.Max(1, frame.GetFileColumnNumber())})";
        var trace = (e.StackTrace ?? "").Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0);
        return new CellException($"{where}: {e.GetType().Name}: {e.Message}", [$"{e.GetType().FullName}: {e.Message}", .. trace]) { Name = e.GetType().Name };
    }
}

/// <summary>A cell failed: the message starts with <c>file#cellN(line,col):</c>.</summary>
public sealed class CellException(string message, IEnumerable<string>? traceback = null) : Exception(message)
{
    public string Name { get; init; } = "CellError";
    public IReadOnlyList<string> Traceback { get; } = traceback?.ToList() ?? [message];
}
