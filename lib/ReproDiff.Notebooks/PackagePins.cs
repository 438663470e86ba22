using System.Xml.Linq;

namespace ReproDiff.Notebooks;

/// <summary>
/// The package versions of Directory.Packages.props (embedded at build time). A notebook's <c>#r "nuget: Name, Version"</c>
/// must name one of these with the same version, so what VS Code restores is what the tests ran.
/// </summary>
public static class PackagePins
{
    static readonly Lazy<IReadOnlyDictionary<string, string>> pins = new(() =>
    {
        using var s = typeof(PackagePins).Assembly.GetManifestResourceStream("ReproDiff.Directory.Packages.props")
                      ?? throw new InvalidOperationException("Directory.Packages.props is not embedded in ReproDiff.Notebooks.");
        return XDocument.Load(s).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!, StringComparer.OrdinalIgnoreCase);
    });

    public static IReadOnlyDictionary<string, string> All => pins.Value;

    /// <summary>Null when the pin matches, else the reason it does not.</summary>
    public static string? Check(string name, string? version)
    {
        if (!All.TryGetValue(name, out var pinned))
            return $"package '{name}' is not pinned in Directory.Packages.props";
        if (string.IsNullOrWhiteSpace(version))
            return $"#r \"nuget: {name}\" has no version; pin it: #r \"nuget: {name}, {pinned}\"";
        return version.Trim() == pinned ? null : $"#r \"nuget: {name}, {version.Trim()}\" differs from Directory.Packages.props ({pinned})";
    }
}
