using System.Globalization;
using System.Text.RegularExpressions;

namespace ReproDiff.Notebooks;

/// <summary>
/// The one code cell tagged <c>parameters</c> (papermill's convention, which the Polyglot extension keeps in the
/// .ipynb): literal assignments only. Values given with <c>--param Name=Value</c> or <c>--profile</c> replace the
/// literals in place, so line numbers and the rest of the cell stay as written.
/// </summary>
public sealed partial class NotebookParameters
{
    [GeneratedRegex("""^(?<lead>\s*(?:(?:var|string|int|long|double|float|bool)\s+)?(?<name>[A-Za-z_]\w*)\s*=\s*)(?<value>"(?:[^"\\]|\\.)*"|true|false|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?[dDfFmMlL]?)(?<tail>\s*;\s*(?://.*)?)$""")]
    private static partial Regex Assignment();

    readonly NotebookCell cell;
    readonly string[] lines;
    readonly Dictionary<string, (int Line, Match Match)> byName = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Names => byName.Keys.ToList();

    NotebookParameters(NotebookCell cell, string location)
    {
        this.cell = cell;
        lines = cell.Source.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var t = lines[i].Trim();
            if (t.Length == 0 || t.StartsWith("//", StringComparison.Ordinal) || t.StartsWith("#!", StringComparison.Ordinal)) continue;
            var m = Assignment().Match(lines[i]);
            if (!m.Success)
                throw new ReproDiffException($"{location}({i + 1},1): the parameters cell may hold only literal assignments, found: {t}");
            byName[m.Groups["name"].Value] = (i, m);
        }
    }

    /// <summary>Finds exactly one cell tagged <c>parameters</c>; none or several is an error naming the notebook.</summary>
    public static NotebookParameters Find(NotebookDocument nb)
    {
        var tagged = nb.Cells.Where(c => c.IsCode && c.Tags.Contains("parameters")).ToList();
        if (tagged.Count != 1)
            throw new ReproDiffException($"{nb.FileName}: expected exactly one code cell tagged 'parameters', found {tagged.Count}.");
        return new NotebookParameters(tagged[0], $"{nb.FileName}#cell{tagged[0].Number}");
    }

    /// <summary>
    /// Finds the parameters cell of <paramref name="nb"/> and applies <paramref name="options"/> (its Profile, then its
    /// parameters); every value is validated before anything runs. Used by our runner, the kernel runner and the CLI.
    /// </summary>
    public static NotebookParameters Apply(NotebookDocument nb, NotebookRunOptions options)
    {
        var parameters = Find(nb);
        var values = new Dictionary<string, string>(options.Parameters, StringComparer.Ordinal);
        if (options.Profile is not null)
        {
            if (options.Profile is not ("quick" or "full")) throw new ReproDiffException($"--profile {options.Profile}: use quick or full.");
            values["Profile"] = options.Profile;
        }
        parameters.Apply(values);
        return parameters;
    }

    /// <summary>The literal text currently assigned to <paramref name="name"/>.</summary>
    public string Literal(string name) => byName[name].Match.Groups["value"].Value;

    /// <summary>Replaces the literal of each named parameter, typed like the original literal. Unknown names are errors.</summary>
    public void Apply(IReadOnlyDictionary<string, string> values)
    {
        foreach (var (name, raw) in values)
        {
            if (!byName.TryGetValue(name, out var p))
                throw new ReproDiffException($"--param {name}: the parameters cell has no '{name}' (it has: {string.Join(", ", byName.Keys)}).");
            var old = p.Match.Groups["value"].Value;
            var literal = Format(name, old, raw);
            lines[p.Line] = p.Match.Groups["lead"].Value + literal + p.Match.Groups["tail"].Value;
        }
        cell.Source = string.Join('\n', lines);
        if (values.Count > 0) cell.Json["source"] = NotebookDocument.SplitSource(cell.Source); // the executed copy shows what ran
    }

    static string Format(string name, string old, string raw)
    {
        if (old.StartsWith('"'))
            return "\"" + raw.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";
        if (old is "true" or "false")
            return raw is "true" or "false" ? raw : throw new ReproDiffException($"--param {name}={raw}: expected true or false.");
        var isInteger = !old.Contains('.') && !old.Contains('e') && !old.Contains('E') && !"dDfFmM".Contains(old[^1]);
        if (isInteger)
            return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
                ? l.ToString(CultureInfo.InvariantCulture) : throw new ReproDiffException($"--param {name}={raw}: expected an integer.");
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            throw new ReproDiffException($"--param {name}={raw}: expected a number.");
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        if (!s.Contains('.') && !s.Contains('E')) s += ".0";
        return char.IsLetter(old[^1]) ? s + old[^1] : s;
    }

    /// <summary>Parses <c>Name=Value</c> pairs; a pair without '=' is an error naming it.</summary>
    public static Dictionary<string, string> ParsePairs(IEnumerable<string> pairs)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in pairs)
        {
            var i = p.IndexOf('=');
            if (i <= 0) throw new ReproDiffException($"--param {p}: expected Name=Value.");
            d[p[..i].Trim()] = p[(i + 1)..];
        }
        return d;
    }
}
