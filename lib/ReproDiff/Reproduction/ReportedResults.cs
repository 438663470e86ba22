using System.Globalization;

namespace ReproDiff.Reproduction;

/// <summary>One published number: paper table, dataset, model, metric, K and value, with its source.</summary>
public sealed record ReportedValue(string Paper, string Table, string Dataset, string Model, string Metric, int? K, double Value, string Source);

/// <summary>The papers' tables as transcribed in <c>papers/&lt;id&gt;/reported.csv</c> (embedded in the library).</summary>
public static class ReportedResults
{
    static readonly Lazy<IReadOnlyList<ReportedValue>> all = new(() =>
    {
        var asm = typeof(ReportedResults).Assembly;
        var list = new List<ReportedValue>();
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("ReproDiff.papers.", StringComparison.Ordinal)))
        {
            var paper = name["ReproDiff.papers.".Length..].Split('/', '\\')[0];
            using var reader = new StreamReader(asm.GetManifestResourceStream(name)!);
            reader.ReadLine(); // header: table,dataset,model,metric,k,value,source
            string? line;
            int n = 1;
            while ((line = reader.ReadLine()) is not null)
            {
                n++;
                var f = SplitCsv(line);
                if (f.Count != 7) throw new InvalidDataException($"papers/{paper}/reported.csv:{n}: expected 7 fields, found {f.Count}.");
                list.Add(new ReportedValue(paper, f[0], f[1], f[2], f[3], f[4].Length == 0 ? null : int.Parse(f[4], CultureInfo.InvariantCulture),
                    double.Parse(f[5], CultureInfo.InvariantCulture), f[6]));
            }
        }
        return list;
    });

    public static IReadOnlyList<ReportedValue> All => all.Value;

    /// <summary>The reported value of a cell, or null when the paper has none (e.g. T-DiffRec on ML-1M).</summary>
    public static ReportedValue? Find(string paper, string tablePrefix, string dataset, string model, string metric, int k) =>
        All.FirstOrDefault(r => r.Paper == paper && r.Table.StartsWith(tablePrefix, StringComparison.Ordinal) && r.Dataset == dataset
                                && r.Model == model && r.Metric == metric && r.K == k);

    static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var sb = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        fields.Add(sb.ToString());
        return fields;
    }
}
