namespace ReproDiff.Evaluation;

/// <summary>A point estimate with a two-sided interval.</summary>
public readonly record struct Interval(double Estimate, double Low, double High)
{
    public override string ToString() => FormattableString.Invariant($"{Estimate:G4} [{Low:G4}, {High:G4}]");
}

/// <summary>
/// The statistics a fair comparison needs (issue 14): intervals over seeds and over users, paired tests between two
/// models on the same users, and Holm's correction for testing every pair. Pure functions on plain arrays; every
/// resampling takes its seed, so a result is repeatable.
/// </summary>
public static class Statistics
{
    /// <summary>
    /// Mean over independent runs (seeds) with Student's t interval at 95%: mean ± t_{0.975, n−1} · s / √n. One run gives
    /// a zero-width interval (no spread can be estimated from one run; callers say so).
    /// </summary>
    public static Interval SeedMean(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("SeedMean: no values.");
        var mean = values.Average();
        if (values.Count == 1) return new Interval(mean, mean, mean);
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        var half = T975(values.Count - 1) * sd / Math.Sqrt(values.Count);
        return new Interval(mean, mean - half, mean + half);
    }

    /// <summary>Student's t quantile at 0.975 for <paramref name="df"/> degrees of freedom (tabulated to 30, then the Cornish–Fisher expansion to 1/ν²).</summary>
    public static double T975(int df)
    {
        double[] table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];
        if (df < 1) throw new ArgumentException($"T975: df = {df} must be at least 1.");
        const double z = 1.959964;
        double z3 = z * z * z, z5 = z3 * z * z;
        return df <= table.Length ? table[df - 1] : z + (z3 + z) / (4.0 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96.0 * df * df);
    }

    /// <summary>Percentile bootstrap interval (95%) of the mean of per-user values: <paramref name="resamples"/> resamples of the users with replacement.</summary>
    public static Interval BootstrapMean(IReadOnlyList<double> values, int resamples = 2000, int seed = 1)
    {
        if (values.Count == 0) throw new ArgumentException("BootstrapMean: no values.");
        var rng = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double s = 0;
            for (int i = 0; i < values.Count; i++) s += values[rng.Next(values.Count)];
            means[r] = s / values.Count;
        }
        Array.Sort(means);
        return new Interval(values.Average(), Quantile(means, 0.025), Quantile(means, 0.975));
    }

    /// <summary>
    /// Two-sided paired bootstrap test of mean(a − b) = 0 on the same users: the differences are centred (the null), resampled
    /// with replacement, and p is the share of resampled means at least as far from 0 as the observed one (with the
    /// observed resample counted, so p ≥ 1/(resamples + 1)).
    /// </summary>
    public static double PairedBootstrapP(IReadOnlyList<double> a, IReadOnlyList<double> b, int resamples = 2000, int seed = 1)
    {
        var d = Differences(a, b);
        var observed = d.Average();
        var centred = d.Select(x => x - observed).ToArray();
        var rng = new Random(seed);
        int extreme = 0;
        for (int r = 0; r < resamples; r++)
        {
            double s = 0;
            for (int i = 0; i < centred.Length; i++) s += centred[rng.Next(centred.Length)];
            if (Math.Abs(s / centred.Length) >= Math.Abs(observed) - 1e-15) extreme++;
        }
        return (extreme + 1.0) / (resamples + 1.0);
    }

    /// <summary>
    /// Two-sided Wilcoxon signed-rank test of a − b on the same users (zero differences dropped, tied |d| given their
    /// average rank). Exact (enumerating the 2ⁿ sign patterns by dynamic programming) for up to 25 non-zero differences
    /// without ties; otherwise the normal approximation with the tie correction of the variance and a continuity
    /// correction of 0.5. Returns 1 when every difference is zero.
    /// </summary>
    public static double WilcoxonP(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var d = Differences(a, b).Where(x => x != 0).ToArray();
        int n = d.Length;
        if (n == 0) return 1;
        var order = Enumerable.Range(0, n).OrderBy(i => Math.Abs(d[i])).ToArray();
        var ranks = new double[n];
        var tieTerm = 0.0;
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && Math.Abs(d[order[j + 1]]) == Math.Abs(d[order[i]])) j++;
            var avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[order[k]] = avg;
            double t = j - i + 1;                   // double: t³ overflows int for a few thousand tied users
            tieTerm += t * t * t - t;
            i = j + 1;
        }
        var wPlus = Enumerable.Range(0, n).Where(i => d[i] > 0).Sum(i => ranks[i]);
        if (tieTerm == 0 && n <= 25)
        {
            // counts[s] = number of sign patterns whose positive ranks sum to s (ranks 1..n)
            int max = n * (n + 1) / 2;
            var counts = new double[max + 1];
            counts[0] = 1;
            for (int r = 1; r <= n; r++)
                for (int s = max; s >= r; s--) counts[s] += counts[s - r];
            var w = (int)Math.Round(Math.Min(wPlus, max - wPlus));
            var tail = counts.Take(w + 1).Sum() / Math.Pow(2, n);
            return Math.Min(1, 2 * tail);
        }
        double nd = n;                              // n(n + 1)(2n + 1) overflows int from n ≈ 1,300
        var mean = nd * (nd + 1) / 4.0;
        var variance = nd * (nd + 1) * (2 * nd + 1) / 24.0 - tieTerm / 48.0;
        if (variance <= 0) return 1;
        var z = (Math.Abs(wPlus - mean) - 0.5) / Math.Sqrt(variance);
        return Math.Min(1, 2 * NormalUpperTail(Math.Max(z, 0)));
    }

    /// <summary>Holm's step-down adjustment: p-values in their original order, each the smallest level at which it is rejected.</summary>
    public static double[] Holm(IReadOnlyList<double> p)
    {
        int m = p.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => p[i]).ToArray();
        var adjusted = new double[m];
        double running = 0;
        for (int k = 0; k < m; k++)
        {
            running = Math.Max(running, Math.Min(1, (m - k) * p[order[k]]));
            adjusted[order[k]] = running;
        }
        return adjusted;
    }

    /// <summary>P(Z &gt; z) for a standard normal (Abramowitz and Stegun 7.1.26 through erfc; absolute error &lt; 1.5e-7).</summary>
    public static double NormalUpperTail(double z)
    {
        var x = Math.Abs(z) / Math.Sqrt(2);
        var t = 1 / (1 + 0.3275911 * x);
        var erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.Exp(-x * x);
        return z >= 0 ? erfc / 2 : 1 - erfc / 2;
    }

    static double[] Differences(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"paired test: {a.Count} values against {b.Count}; the two models must be measured on the same users.");
        if (a.Count == 0) throw new ArgumentException("paired test: no users.");
        return a.Zip(b, (x, y) => x - y).ToArray();
    }

    /// <summary>Linear-interpolation quantile of sorted values (NumPy's default).</summary>
    static double Quantile(double[] sorted, double q)
    {
        var pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}

/// <summary>
/// What a recommender shows beyond accuracy, from its top-K lists (one int array per user) and the training
/// interactions: catalogue coverage, the Gini index of exposure, the popularity and novelty of what it recommends,
/// intra-list diversity from item co-occurrence, and the agreement of two sets of lists.
/// </summary>
public static class BeyondAccuracy
{
    /// <summary>Share of the catalogue that appears in at least one list.</summary>
    public static double Coverage(IEnumerable<int[]> lists, int items) =>
        (double)lists.SelectMany(l => l).Distinct().Count() / items;

    /// <summary>
    /// Gini index of the exposure counts of every catalogue item (items never recommended count 0): 0 when every item is
    /// shown equally often, (n − 1)/n when one item takes every slot. G = Σ_i (2i − n − 1) c_(i) / (n Σ c), c sorted ascending.
    /// </summary>
    public static double Gini(IEnumerable<int[]> lists, int items)
    {
        var c = new double[items];
        foreach (var l in lists) foreach (var i in l) c[i]++;
        Array.Sort(c);
        var total = c.Sum();
        if (total == 0) return 0;
        double s = 0;
        for (int i = 0; i < items; i++) s += (2.0 * (i + 1) - items - 1) * c[i];
        return s / (items * total);
    }

    /// <summary>Mean training popularity (number of interactions) of the recommended items, and their mean percentile rank in the catalogue (0 = least, 1 = most popular; ties share the average).</summary>
    public static (double Mean, double Percentile) Popularity(IEnumerable<int[]> lists, IReadOnlyList<int> popularity)
    {
        var n = popularity.Count;
        var order = Enumerable.Range(0, n).OrderBy(i => popularity[i]).ToArray();
        var percentile = new double[n];
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && popularity[order[j + 1]] == popularity[order[i]]) j++;
            var p = n == 1 ? 1 : (i + j) / 2.0 / (n - 1);
            for (int k = i; k <= j; k++) percentile[order[k]] = p;
            i = j + 1;
        }
        var all = lists.SelectMany(l => l).ToArray();
        return all.Length == 0 ? (0, 0) : (all.Average(i => (double)popularity[i]), all.Average(i => percentile[i]));
    }

    /// <summary>Mean self-information −log₂(p_i) of the recommended items, p_i = (users who interacted with i) / users (Zhou et al. 2010).</summary>
    public static double Novelty(IEnumerable<int[]> lists, IReadOnlyList<int> popularity, int users)
    {
        var all = lists.SelectMany(l => l).ToArray();
        return all.Length == 0 ? 0 : all.Average(i => -Math.Log2(Math.Max(popularity[i], 1) / (double)users));
    }

    /// <summary>
    /// Intra-list diversity: the mean over lists of the mean over item pairs of 1 − cos(i, j), where cos is the cosine of
    /// the two items' user sets in training, |U_i ∩ U_j| / √(|U_i| |U_j|) (0 for an item without users).
    /// <paramref name="usersOf"/>[i] is item i's sorted user ids.
    /// </summary>
    public static double IntraListDiversity(IEnumerable<int[]> lists, IReadOnlyList<int[]> usersOf)
    {
        double total = 0; int count = 0;
        foreach (var l in lists)
        {
            if (l.Length < 2) continue;
            double s = 0; int pairs = 0;
            for (int a = 0; a < l.Length; a++)
                for (int b = a + 1; b < l.Length; b++)
                {
                    var (u, v) = (usersOf[l[a]], usersOf[l[b]]);
                    var cos = u.Length == 0 || v.Length == 0 ? 0 : SortedIntersection(u, v) / Math.Sqrt((double)u.Length * v.Length);
                    s += 1 - cos; pairs++;
                }
            total += s / pairs; count++;
        }
        return count == 0 ? 0 : total / count;
    }

    /// <summary>|A ∩ B| / |A ∪ B| of two lists (1 for two empty lists).</summary>
    public static double Jaccard(IReadOnlyCollection<int> a, IReadOnlyCollection<int> b)
    {
        var union = a.Union(b).Count();
        return union == 0 ? 1 : (double)a.Intersect(b).Count() / union;
    }

    static int SortedIntersection(int[] u, int[] v)
    {
        int i = 0, j = 0, n = 0;
        while (i < u.Length && j < v.Length)
        {
            if (u[i] == v[j]) { n++; i++; j++; }
            else if (u[i] < v[j]) i++;
            else j++;
        }
        return n;
    }
}
