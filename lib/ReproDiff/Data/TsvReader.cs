using System.Globalization;

namespace ReproDiff.Data;

/// <summary>
/// Reads the datasets' plain TSV (a header line, then tab-separated values). Every error names the file, the line and,
/// for a bad value, the column: <c>train.tsv:12:2: 'x7' is not an integer</c>. Nothing is returned half-read.
/// </summary>
public static class TsvReader
{
    /// <summary>Reads integer rows with exactly the given header columns; returns one array per column.</summary>
    public static int[][] ReadIntColumns(string path, params string[] header)
    {
        var columns = Enumerable.Range(0, header.Length).Select(_ => new List<int>()).ToArray();
        var fields = new int[header.Length];
        Read(path, header, (line, parts) =>
        {
            for (int c = 0; c < header.Length; c++)
            {
                var text = parts[c];
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
                    throw Error(path, line, c + 1, $"'{Clip(text)}' is not an integer ({header[c]})");
                if (v < 0) throw Error(path, line, c + 1, $"{header[c]} {v} is negative");
                fields[c] = v;
            }
            for (int c = 0; c < header.Length; c++) columns[c].Add(fields[c]);
        });
        return columns.Select(c => c.ToArray()).ToArray();
    }

    /// <summary>Reads a float matrix whose header has <paramref name="width"/> columns (the item embeddings).</summary>
    public static float[,] ReadFloatMatrix(string path, int width)
    {
        var rows = new List<float[]>();
        Read(path, null, (line, parts) =>
        {
            if (parts.Length != width) throw Error(path, line, 0, $"expected {width} columns, found {parts.Length}");
            var row = new float[width];
            for (int c = 0; c < width; c++)
                if (!float.TryParse(parts[c], NumberStyles.Float, CultureInfo.InvariantCulture, out row[c]) || !float.IsFinite(row[c]))
                    throw Error(path, line, c + 1, $"'{Clip(parts[c])}' is not a finite number");
            rows.Add(row);
        }, expectedWidth: width);
        var m = new float[rows.Count, width];
        for (int r = 0; r < rows.Count; r++) for (int c = 0; c < width; c++) m[r, c] = rows[r][c];
        return m;
    }

    static void Read(string path, string[]? header, Action<int, string[]> row, int? expectedWidth = null)
    {
        if (!File.Exists(path)) throw new ReproDiffException($"{path}: file not found.");
        using var reader = new StreamReader(path);
        var first = reader.ReadLine() ?? throw new ReproDiffException($"{path}: the file is empty (no header line).");
        var names = first.Split('\t');
        if (header is not null && !names.SequenceEqual(header))
            throw Error(path, 1, 0, $"expected the header '{string.Join("\\t", header)}', found '{Clip(first)}'");
        var width = header?.Length ?? expectedWidth ?? names.Length;
        if (names.Length != width) throw Error(path, 1, 0, $"expected {width} header columns, found {names.Length}");
        int line = 1, count = 0;
        string? text;
        while ((text = reader.ReadLine()) is not null)
        {
            line++;
            if (text.Length == 0) continue;
            var parts = text.Split('\t');
            if (parts.Length != width) throw Error(path, line, 0, $"expected {width} columns, found {parts.Length}");
            row(line, parts);
            count++;
        }
        if (count == 0) throw new ReproDiffException($"{path}: no data rows after the header (empty split).");
    }

    internal static ReproDiffException Error(string path, int line, int column, string message) =>
        new(column > 0 ? $"{path}:{line}:{column}: {message}." : $"{path}:{line}: {message}.");

    static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
