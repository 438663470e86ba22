using System.Text;

namespace ReproDiff.Tests.Runtime;

/// <summary>
/// The build's WeakenLibTorchSharpGlibcxx step (Directory.Build.targets) must mark GLIBCXX_3.4.32 weak in the copy of
/// libLibTorchSharp.so in the build output, and must leave the NuGet cache untouched.
/// </summary>
public class NativeFixTests
{
    static string OutputCopy => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void BuildOutputCopyHasGlibcxx3432MarkedWeak()
    {
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(File.Exists(OutputCopy), OutputCopy);
        var needs = ElfVersionNeeds.Read(OutputCopy);
        Assert.Contains(needs, n => n.Name == "GLIBCXX_3.4.32");
        Assert.All(needs.Where(n => n.Name == "GLIBCXX_3.4.32"), n => Assert.True(n.Weak, "GLIBCXX_3.4.32 is not weak"));
        Assert.Contains(needs, n => n.Name == "GLIBCXX_3.4.21" && !n.Weak); // other requirements are left alone
    }

    [Fact]
    public void NuGetCacheCopyIsNotPatched()
    {
        if (!OperatingSystem.IsLinux()) return;
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                    ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var original = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(original), $"restore put no TorchSharp in {cache}");
        Assert.Contains(ElfVersionNeeds.Read(original), n => n.Name == "GLIBCXX_3.4.32" && !n.Weak);
    }
}

/// <summary>A minimal reader of an ELF64 file's .gnu.version_r entries (name and VER_FLG_WEAK).</summary>
static class ElfVersionNeeds
{
    public sealed record Need(string Name, bool Weak);

    public static List<Need> Read(string path)
    {
        var b = File.ReadAllBytes(path);
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3a), shnum = BitConverter.ToUInt16(b, 0x3c);
        var result = new List<Need>();
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (BitConverter.ToUInt32(b, (int)sh + 4) != 0x6ffffffe) continue; // SHT_GNU_verneed
            long off = BitConverter.ToInt64(b, (int)sh + 24);
            int link = (int)BitConverter.ToUInt32(b, (int)sh + 40);
            long strtab = BitConverter.ToInt64(b, (int)(shoff + (long)link * shentsize) + 24);
            while (true)
            {
                int cnt = BitConverter.ToUInt16(b, (int)off + 2);
                uint aux = BitConverter.ToUInt32(b, (int)off + 8), next = BitConverter.ToUInt32(b, (int)off + 12);
                long a = off + aux;
                for (int k = 0; k < cnt; k++)
                {
                    int flags = BitConverter.ToUInt16(b, (int)a + 4);
                    int name = (int)(strtab + BitConverter.ToUInt32(b, (int)a + 8));
                    int end = Array.IndexOf(b, (byte)0, name);
                    result.Add(new Need(Encoding.ASCII.GetString(b, name, end - name), (flags & 2) != 0));
                    a += BitConverter.ToUInt32(b, (int)a + 12);
                }
                if (next == 0) break;
                off += next;
            }
        }
        return result;
    }
}
