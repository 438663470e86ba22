using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ReproDiff.Data;

/// <summary>One file of a dataset as the card expects it: name, sha256, size in bytes and data rows (header excluded).</summary>
public sealed record DatasetFile(string Name, string Sha256, long Bytes, int Rows, string Header);

/// <summary>
/// What a dataset is, where it came from and what its files must hash to. Cards live in <c>data/cards/</c> and are
/// embedded in the library. <see cref="Layout"/> is <c>interactions</c> (user, item pairs: DiffRec) or
/// <c>sequences</c> (user, position, item plus one valid and one test item per user: DiffuRec).
/// </summary>
public sealed record DatasetCard(
    string Name, string Paper, string Task, string Layout, int Users, int Items, long Interactions, string Source,
    IReadOnlyList<DatasetFile> Files, FetchSource? Fetch = null)
{
    public DatasetFile File(string name) =>
        Files.FirstOrDefault(f => f.Name == name) ?? throw new ReproDiffException($"dataset '{Name}': the card lists no file '{name}'.");
}

/// <summary>
/// Where <c>data fetch</c> gets a dataset without a mirror: the authors' public copy and its format
/// (<c>rar-npy</c>: DiffRec's RAR of int64 .npy pair lists; <c>pickle</c>: DiffuRec's Python pickle).
/// </summary>
public sealed record FetchSource(string Format, string Url);

/// <summary>Result of checking one file against its card.</summary>
public sealed record FileCheck(string Dataset, string File, string Status, string Detail)
{
    public bool Ok => Status == "ok";
}

/// <summary>The datasets ReproDiff knows, read from the cards embedded in the library.</summary>
public static class DatasetCatalog
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    static readonly Lazy<IReadOnlyList<DatasetCard>> cards = new(() =>
    {
        var asm = typeof(DatasetCatalog).Assembly;
        return asm.GetManifestResourceNames()
            .Where(n => n.StartsWith("ReproDiff.cards.", StringComparison.Ordinal))
            .Select(n =>
            {
                using var s = asm.GetManifestResourceStream(n)!;
                return JsonSerializer.Deserialize<DatasetCard>(s, Json) ?? throw new InvalidDataException($"empty card {n}");
            })
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    });

    public static IReadOnlyList<DatasetCard> All => cards.Value;

    /// <summary>The card named <paramref name="name"/>; an unknown name is a user error listing the known ones.</summary>
    public static DatasetCard Get(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ReproDiffException($"unknown dataset '{name}'; known datasets: {string.Join(", ", All.Select(c => c.Name))}.");

    /// <summary>Checks every file of <paramref name="card"/> under <paramref name="root"/>/<c>name</c>: present, size and sha256.</summary>
    public static IReadOnlyList<FileCheck> Verify(DatasetCard card, string root)
    {
        var dir = Path.Combine(root, card.Name);
        var checks = new List<FileCheck>();
        foreach (var f in card.Files)
        {
            var path = Path.Combine(dir, f.Name);
            if (!System.IO.File.Exists(path)) { checks.Add(new(card.Name, f.Name, "missing", path)); continue; }
            var len = new FileInfo(path).Length;
            if (len != f.Bytes) { checks.Add(new(card.Name, f.Name, "mismatch", $"{len} bytes, card says {f.Bytes}")); continue; }
            var sha = Sha256(path);
            checks.Add(sha == f.Sha256
                ? new(card.Name, f.Name, "ok", sha[..12])
                : new(card.Name, f.Name, "mismatch", $"sha256 {sha[..12]}…, card says {f.Sha256[..12]}…"));
        }
        return checks;
    }

    public static string Sha256(string path)
    {
        using var s = System.IO.File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
