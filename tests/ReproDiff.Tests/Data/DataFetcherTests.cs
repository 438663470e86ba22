using System.Net;
using System.Net.Sockets;
using System.Text;
using ReproDiff.Data;
using ReproDiff.Tests.Support;

namespace ReproDiff.Tests.Data;

/// <summary>
/// <c>data fetch</c> against a local HTTP server on 127.0.0.1 that serves the shared data root (and a corrupted copy),
/// with HTTP Range support so resuming can be checked. No traffic leaves the machine.
/// </summary>
public sealed class DataFetcherTests
{
    sealed class LoopbackServer : IDisposable
    {
        readonly HttpListener listener = new();
        readonly CancellationTokenSource stop = new();
        public string Url { get; }
        public List<string> Ranges { get; } = [];

        public LoopbackServer(Func<string, byte[]?> files)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/";
            listener.Prefixes.Add(Url);
            listener.Start();
            _ = Task.Run(async () =>
            {
                for (int served = 0; served < 100 && !stop.IsCancellationRequested; served++)
                {
                    HttpListenerContext ctx;
                    try { ctx = await listener.GetContextAsync(); } catch { return; }
                    var body = files(ctx.Request.Url!.AbsolutePath.TrimStart('/'));
                    if (body is null) { ctx.Response.StatusCode = 404; ctx.Response.Close(); continue; }
                    var range = ctx.Request.Headers["Range"];
                    long from = 0;
                    if (range is not null)
                    {
                        lock (Ranges) Ranges.Add(range);
                        from = long.Parse(range["bytes=".Length..].TrimEnd('-'));
                        ctx.Response.StatusCode = 206;
                    }
                    ctx.Response.ContentLength64 = body.Length - from;
                    await ctx.Response.OutputStream.WriteAsync(body.AsMemory((int)from));
                    ctx.Response.Close();
                }
            });
        }

        public void Dispose() { stop.Cancel(); listener.Stop(); listener.Close(); }
    }

    static byte[]? FromShared(string relative)
    {
        var path = Path.Combine(TestData.Root.Path, relative);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    [RealDataFact("diffurec-toys")]
    public async Task FetchesFromAMirrorAndVerifies()
    {
        using var server = new LoopbackServer(FromShared);
        var root = Directory.CreateTempSubdirectory("reprodiff-fetch").FullName;
        var card = DatasetCatalog.Get("diffurec-toys");
        using var http = new HttpClient();
        var folder = await DataFetcher.FetchAsync(card, root, new Uri(server.Url), http);
        Assert.All(DatasetCatalog.Verify(card, root), c => Assert.True(c.Ok, c.ToString()));
        Assert.Equal(Path.Combine(root, "diffurec-toys"), folder);
        Assert.False(Directory.Exists(Path.Combine(root, ".diffurec-toys.staging")));
    }

    [RealDataFact("diffurec-toys")]
    public async Task RefusesACorruptedCopyAndInstallsNothing()
    {
        using var server = new LoopbackServer(rel =>
        {
            var b = FromShared(rel);
            if (b is not null && rel.EndsWith("train.tsv", StringComparison.Ordinal)) b[^2] = (byte)(b[^2] == (byte)'1' ? '2' : '1');
            return b;
        });
        var root = Directory.CreateTempSubdirectory("reprodiff-fetch-bad").FullName;
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<ReproDiffException>(() => DataFetcher.FetchAsync(DatasetCatalog.Get("diffurec-toys"), root, new Uri(server.Url), http));
        Assert.Equal("dataset 'diffurec-toys': train.tsv failed the sha256/size check of the card; refusing the download (nothing was installed).", e.Message);
        Assert.False(Directory.Exists(Path.Combine(root, "diffurec-toys")));
    }

    [RealDataFact("diffurec-toys")]
    public async Task ResumesAPartialDownloadWithARangeRequest()
    {
        using var server = new LoopbackServer(FromShared);
        var root = Directory.CreateTempSubdirectory("reprodiff-fetch-resume").FullName;
        var staging = Directory.CreateDirectory(Path.Combine(root, ".diffurec-toys.staging")).FullName;
        var full = FromShared("diffurec-toys/train.tsv")!;
        File.WriteAllBytes(Path.Combine(staging, "train.tsv.part"), full[..100_000]);
        using var http = new HttpClient();
        var reports = new List<FetchProgress>();
        await DataFetcher.FetchAsync(DatasetCatalog.Get("diffurec-toys"), root, new Uri(server.Url), http, new SyncProgress(reports.Add));
        Assert.Contains("bytes=100000-", server.Ranges);
        Assert.Equal(full, File.ReadAllBytes(Path.Combine(root, "diffurec-toys", "train.tsv")));
        Assert.Contains(reports, r => r.File == "train.tsv" && r.Total == full.Length);
    }

    [Fact]
    public async Task UnsupportedSourceFormatSaysWhatToDo()
    {
        var root = Directory.CreateTempSubdirectory("reprodiff-fetch-pkl").FullName;
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<ReproDiffException>(() => DataFetcher.FetchAsync(DatasetCatalog.Get("diffurec-toys"), root, null, http));
        Assert.Contains("pass --from MIRROR_URL", e.Message);
    }

    [Fact]
    public void ReadsNpyHeaders()
    {
        var header = "{'descr': '<i8', 'fortran_order': False, 'shape': (3, 2), }";
        header = header.PadRight(117) + "\n"; // header + 10 bytes of preamble = 128, as numpy aligns it
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.AddRange([1, 0, (byte)header.Length, 0]);
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        var (dtype, shape, offset) = DataFetcher.ReadNpyHeader(bytes.ToArray(), "x.npy");
        Assert.Equal("<i8", dtype);
        Assert.Equal([3, 2], shape);
        Assert.Equal(128, offset);
        Assert.Equal("y.npy: not a .npy file.", Assert.Throws<ReproDiffException>(() => DataFetcher.ReadNpyHeader(new byte[16], "y.npy")).Message);
    }

    sealed class SyncProgress(Action<FetchProgress> report) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) => report(value);
    }
}
