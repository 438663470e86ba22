using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SharpCompress.Archives;

namespace ReproDiff.Data;

/// <summary>Progress of a download: the file, bytes so far and the total when known.</summary>
public readonly record struct FetchProgress(string File, long Bytes, long? Total);

/// <summary>
/// <c>reprodiff data fetch</c>: downloads a dataset, converts it to our TSV layout and verifies it against its card
/// before it appears under the data root. Downloads resume (HTTP Range) from <c>.part</c> files in a staging folder;
/// the dataset folder is moved into place only after every checksum matches, so a failed or corrupted fetch leaves
/// nothing half-written.
/// Sources: a <b>mirror</b> in our layout (<c>{mirror}/{dataset}/{file}</c>, e.g. another machine's data root served
/// over HTTP), or the authors' public copy named in the card (DiffRec's RAR of .npy arrays, converted here).
/// </summary>
public static class DataFetcher
{
    public static async Task<string> FetchAsync(DatasetCard card, string root, Uri? mirror, HttpClient http,
        IProgress<FetchProgress>? progress = null, CancellationToken cancel = default)
    {
        var target = Path.Combine(root, card.Name);
        if (Directory.Exists(target) && DatasetCatalog.Verify(card, root).All(c => c.Ok)) return target;
        if (Directory.Exists(target))
            throw new ReproDiffException($"{target} exists but does not match the card of '{card.Name}'; move it away and fetch again.");
        var staging = Path.Combine(root, $".{card.Name}.staging");
        Directory.CreateDirectory(staging);

        if (mirror is not null)
        {
            var baseUri = mirror.AbsoluteUri.EndsWith('/') ? mirror : new Uri(mirror.AbsoluteUri + "/");
            foreach (var f in card.Files)
                await DownloadAsync(http, new Uri(baseUri, $"{card.Name}/{f.Name}"), Path.Combine(staging, f.Name), progress, cancel);
        }
        else
        {
            var source = card.Fetch ?? throw new ReproDiffException($"dataset '{card.Name}' names no public source; pass --from MIRROR_URL.");
            switch (source.Format)
            {
                case "rar-npy":
                    var archive = Path.Combine(staging, Path.GetFileName(new Uri(source.Url).LocalPath));
                    await DownloadAsync(http, new Uri(source.Url), archive, progress, cancel);
                    ConvertNpyArchive(archive, staging);
                    File.Delete(archive);
                    break;
                default:
                    throw new ReproDiffException(
                        $"dataset '{card.Name}': its authors' copy is a {source.Format} ({source.Url}), which fetch cannot convert yet; " +
                        "pass --from MIRROR_URL pointing at a data root in ReproDiff's TSV layout.");
            }
        }

        var bad = card.Files.Select(f => (f, Path.Combine(staging, f.Name))).Where(p =>
            !File.Exists(p.Item2) || new FileInfo(p.Item2).Length != p.f.Bytes || DatasetCatalog.Sha256(p.Item2) != p.f.Sha256).ToList();
        if (bad.Count > 0)
        {
            foreach (var (_, path) in bad) File.Delete(path);
            throw new ReproDiffException($"dataset '{card.Name}': {string.Join(", ", bad.Select(b => b.f.Name))} failed the sha256/size check of the card; " +
                                         "refusing the download (nothing was installed).");
        }
        foreach (var leftover in Directory.GetFiles(staging).Where(p => card.Files.All(f => f.Name != Path.GetFileName(p)))) File.Delete(leftover);
        Directory.Move(staging, target);
        return target;
    }

    /// <summary>GET into <paramref name="path"/>, resuming from <c>path.part</c> with a Range request when one exists.</summary>
    static async Task DownloadAsync(HttpClient http, Uri url, string path, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        if (File.Exists(path)) return;
        var part = path + ".part";
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) { File.Move(part, path); return; }
        if (!response.IsSuccessStatusCode) throw new ReproDiffException($"{url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
        var append = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
        if (!append) have = 0;
        long? total = response.Content.Headers.ContentLength is { } len ? len + have : null;
        await using (var source = await response.Content.ReadAsStreamAsync(cancel))
        await using (var sink = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write))
        {
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await source.ReadAsync(buffer, cancel)) > 0)
            {
                await sink.WriteAsync(buffer.AsMemory(0, n), cancel);
                have += n;
                progress?.Report(new FetchProgress(Path.GetFileName(path), have, total));
            }
        }
        File.Move(part, path, overwrite: true);
    }

    /// <summary>
    /// DiffRec's archive: <c>train_list.npy</c>, <c>valid_list.npy</c>, <c>test_list.npy</c> (int64 [n, 2] user, item pairs)
    /// and <c>item_emb.npy</c> (float32 [items, 64]) become our TSV files, order and ids unchanged.
    /// </summary>
    public static void ConvertNpyArchive(string archivePath, string folder)
    {
        using var archive = ArchiveFactory.OpenArchive(archivePath);
        foreach (var entry in archive.Entries.Where(e => !e.IsDirectory))
        {
            var name = Path.GetFileName(entry.Key ?? "");
            using var ms = new MemoryStream();
            using (var s = entry.OpenEntryStream()) s.CopyTo(ms);
            var bytes = ms.ToArray();
            switch (name)
            {
                case "train_list.npy": WritePairs(bytes, Path.Combine(folder, "train.tsv"), name); break;
                case "valid_list.npy": WritePairs(bytes, Path.Combine(folder, "valid.tsv"), name); break;
                case "test_list.npy": WritePairs(bytes, Path.Combine(folder, "test.tsv"), name); break;
                case "item_emb.npy": WriteEmbeddings(bytes, Path.Combine(folder, "item_emb.tsv"), name); break;
            }
        }
    }

    /// <summary>Parses a little-endian .npy (format 1.0–3.0): dtype descriptor, shape, and the data offset.</summary>
    public static (string Dtype, int[] Shape, int Offset) ReadNpyHeader(byte[] b, string name)
    {
        if (b.Length < 10 || b[0] != 0x93 || Encoding.ASCII.GetString(b, 1, 5) != "NUMPY") throw new ReproDiffException($"{name}: not a .npy file.");
        int major = b[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8));
        int start = major == 1 ? 10 : 12;
        var header = Encoding.Latin1.GetString(b, start, headerLength);
        string Field(string key)
        {
            var i = header.IndexOf($"'{key}':", StringComparison.Ordinal);
            if (i < 0) throw new ReproDiffException($"{name}: .npy header has no '{key}'.");
            return header[(i + key.Length + 3)..].TrimStart();
        }
        var descr = Field("descr")[1..];
        descr = descr[..descr.IndexOf('\'')];
        if (Field("fortran_order").StartsWith("True", StringComparison.Ordinal)) throw new ReproDiffException($"{name}: Fortran-ordered arrays are not supported.");
        var shapeText = Field("shape");
        shapeText = shapeText[1..shapeText.IndexOf(')')];
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return (descr, shape, start + headerLength);
    }

    static void WritePairs(byte[] b, string path, string name)
    {
        var (dtype, shape, offset) = ReadNpyHeader(b, name);
        if (dtype != "<i8" || shape.Length != 2 || shape[1] != 2) throw new ReproDiffException($"{name}: expected int64 [n, 2], found {dtype} [{string.Join(", ", shape)}].");
        var sb = new StringBuilder("user\titem\n");
        for (int i = 0; i < shape[0]; i++)
        {
            var u = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(offset + 16 * i));
            var it = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(offset + 16 * i + 8));
            sb.Append(u.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(it.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        File.WriteAllText(path, sb.ToString());
    }

    static void WriteEmbeddings(byte[] b, string path, string name)
    {
        var (dtype, shape, offset) = ReadNpyHeader(b, name);
        if (dtype != "<f4" || shape.Length != 2) throw new ReproDiffException($"{name}: expected float32 [items, d], found {dtype} [{string.Join(", ", shape)}].");
        var sb = new StringBuilder(string.Join('\t', Enumerable.Range(0, shape[1]).Select(i => $"d{i}"))).Append('\n');
        for (int r = 0; r < shape[0]; r++)
        {
            for (int c = 0; c < shape[1]; c++)
            {
                if (c > 0) sb.Append('\t');
                // Python's repr of float(np.float32) is the shortest round-trip of the double; "R" on the double matches it.
                double v = BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(offset + 4 * (r * shape[1] + c)));
                sb.Append(v.ToString("R", CultureInfo.InvariantCulture));
            }
            sb.Append('\n');
        }
        File.WriteAllText(path, sb.ToString());
    }
}
