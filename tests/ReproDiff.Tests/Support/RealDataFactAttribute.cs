using ReproDiff.Data;

namespace ReproDiff.Tests.Support;

/// <summary>
/// A fact that needs a real dataset from the data root. Skipped with the reason when the data is absent, except under
/// CI=true, where it runs (and fails on the missing data) so a CI without the data cannot go green silently.
/// </summary>
public sealed class RealDataFactAttribute : FactAttribute
{
    public RealDataFactAttribute(params string[] datasets)
    {
        if (TestData.IsCi) return;
        DataRoot root;
        try { root = DataRoot.Resolve(); }
        catch (ReproDiffException e) { Skip = e.Message; return; }
        var missing = datasets.Where(d => !root.Has(DatasetCatalog.Get(d))).ToList();
        if (missing.Count > 0)
            Skip = $"real data not found under {root.Path} ({root.Origin}): {string.Join(", ", missing)}; set REPRODIFF_DATA to run";
    }
}

public static class TestData
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The data root the real-data tests read.</summary>
    public static DataRoot Root => DataRoot.Resolve();
}
