using ReproDiff.Runtime;

namespace ReproDiff.Data;

/// <summary>
/// Where datasets are read from. Order: the <c>--data</c> option, else <c>REPRODIFF_DATA</c>, else
/// <c>../shared/data</c> beside the repository, else <c>data/cache</c> in the repository (where <c>data fetch</c> writes).
/// </summary>
public sealed record DataRoot(string Path, string Origin)
{
    public const string EnvironmentVariable = "REPRODIFF_DATA";

    /// <summary>Resolves the data root. An explicit option or variable that names a missing folder is a user error.</summary>
    public static DataRoot Resolve(string? option = null)
    {
        if (!string.IsNullOrWhiteSpace(option))
            return Existing(option, "--data");
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env))
            return Existing(env, EnvironmentVariable);
        var repo = RepositoryLocator.FindRoot();
        if (repo is not null)
        {
            var shared = System.IO.Path.GetFullPath(System.IO.Path.Combine(repo, "..", "shared", "data"));
            if (Directory.Exists(shared)) return new DataRoot(shared, "../shared/data beside the repository");
            return new DataRoot(System.IO.Path.Combine(repo, "data", "cache"), "data/cache in the repository");
        }
        return new DataRoot(System.IO.Path.GetFullPath(System.IO.Path.Combine("data", "cache")), "data/cache in the working directory");
    }

    static DataRoot Existing(string path, string origin)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full))
            throw new ReproDiffException($"{origin} {path}: data folder not found.");
        return new DataRoot(full, origin);
    }

    /// <summary>True when every file the card lists is present here (checksums are not computed).</summary>
    public bool Has(DatasetCard card) =>
        card.Files.All(f => File.Exists(System.IO.Path.Combine(Path, card.Name, f.Name)));

    /// <summary>The folder of a dataset; a user error when it is not here, saying how to get it.</summary>
    public string DatasetFolder(string name)
    {
        var card = DatasetCatalog.Get(name);
        if (!Has(card))
            throw new ReproDiffException(
                $"dataset '{card.Name}' not found under {Path} ({Origin}); run `reprodiff data fetch {card.Name}` or pass --data.");
        return System.IO.Path.Combine(Path, card.Name);
    }
}
