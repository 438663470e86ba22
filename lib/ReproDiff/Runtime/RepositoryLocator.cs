namespace ReproDiff.Runtime;

/// <summary>Finds the ReproDiff checkout (the folder holding ReproDiff.sln) and its git commit, without running git.</summary>
public static class RepositoryLocator
{
    /// <summary>The repository root above the current directory or above this assembly, or null when run outside a checkout.</summary>
    public static string? FindRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ReproDiff.sln"))) return dir.FullName;
        }
        return null;
    }

    /// <summary>
    /// The commit this library was built from: the SDK's source-control stamp on the assembly (its informational version
    /// "1.0.0+&lt;sha&gt;"); null when the build had no git. It names the code that runs even when the checkout has moved on
    /// since the build (a long run from a frozen build while work continues).
    /// </summary>
    public static string? BuildCommit()
    {
        var version = typeof(RepositoryLocator).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
        var plus = version?.LastIndexOf('+') ?? -1;
        var sha = plus >= 0 ? version![(plus + 1)..] : null;
        return sha is { Length: 40 } && sha.All(Uri.IsHexDigit) ? sha : null;
    }

    /// <summary>
    /// The commit HEAD points at, read from .git (loose or packed refs); null outside a git checkout. In a linked worktree
    /// .git is a file "gitdir: &lt;path&gt;", whose folder holds HEAD and a "commondir" file naming the folder with the refs.
    /// </summary>
    public static string? GitCommit(string? root = null)
    {
        root ??= FindRoot();
        if (root is null) return null;
        var git = Path.Combine(root, ".git");
        try
        {
            if (File.Exists(git))
                git = Path.GetFullPath(File.ReadAllText(git).Trim()["gitdir:".Length..].Trim(), root);
            var commonFile = Path.Combine(git, "commondir");
            var common = File.Exists(commonFile) ? Path.GetFullPath(File.ReadAllText(commonFile).Trim(), git) : git;
            var head = File.ReadAllText(Path.Combine(git, "HEAD")).Trim();
            if (!head.StartsWith("ref:", StringComparison.Ordinal)) return head;
            var name = head[4..].Trim();
            var loose = Path.Combine(common, name);
            if (File.Exists(loose)) return File.ReadAllText(loose).Trim();
            var packed = Path.Combine(common, "packed-refs");
            if (File.Exists(packed))
                foreach (var line in File.ReadLines(packed))
                    if (line.EndsWith(" " + name, StringComparison.Ordinal)) return line[..40];
            return null; // a branch with no commits yet
        }
        catch (IOException) { return null; }
    }
}
