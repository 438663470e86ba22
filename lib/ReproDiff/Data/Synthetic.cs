namespace ReproDiff.Data;

/// <summary>
/// Deterministic synthetic data for tutorials, tests and the quick profile: items fall into topics; each user has a few
/// planted interests (topics) and draws items mostly from them, with the mix drifting over time (later interactions
/// favour the user's later interests). Same seed, same data, on every machine.
/// </summary>
public static class Synthetic
{
    public sealed record Options(int Users = 500, int Items = 300, int Topics = 10, int InterestsPerUser = 3,
        int MinInteractions = 12, int MaxInteractions = 40, double NoiseShare = 0.1, double Drift = 0.5, int Seed = 0);

    /// <summary>Each user's items in time order, and each item's topic.</summary>
    public static (int[][] Sequences, int[] ItemTopics) Histories(Options o)
    {
        if (o.Users < 1 || o.Items < o.Topics || o.Topics < 1 || o.InterestsPerUser < 1 || o.InterestsPerUser > o.Topics
            || o.MinInteractions < 3 || o.MaxInteractions < o.MinInteractions || o.MaxInteractions > o.Items / 2)
            throw new ArgumentException($"synthetic data: inconsistent options {o}.");
        var rng = new Random(o.Seed);
        var topicOf = Enumerable.Range(0, o.Items).Select(i => i % o.Topics).ToArray();
        var byTopic = Enumerable.Range(0, o.Topics).Select(t => Enumerable.Range(0, o.Items).Where(i => topicOf[i] == t).ToArray()).ToArray();
        // Popularity within a topic is skewed (Zipf-like), as in real catalogues.
        var popularity = Enumerable.Range(0, o.Items).Select(i => 1.0 / (1 + i / o.Topics)).ToArray();
        var sequences = new int[o.Users][];
        for (int u = 0; u < o.Users; u++)
        {
            var interests = Enumerable.Range(0, o.Topics).OrderBy(_ => rng.Next()).Take(o.InterestsPerUser).ToArray();
            int n = rng.Next(o.MinInteractions, o.MaxInteractions + 1);
            var seen = new HashSet<int>();
            var seq = new List<int>(n);
            while (seq.Count < n)
            {
                double phase = (double)seq.Count / n;
                int topic;
                if (rng.NextDouble() < o.NoiseShare) topic = rng.Next(o.Topics);
                else
                {
                    // Drift: the weight of interest k moves from early to late interests as the sequence goes on.
                    var w = interests.Select((_, k) => Math.Exp(o.Drift * 4 * (phase - 0.5) * (k - (interests.Length - 1) / 2.0))).ToArray();
                    topic = interests[Pick(rng, w)];
                }
                var pool = byTopic[topic];
                var item = pool[Pick(rng, pool.Select(i => popularity[i]).ToArray())];
                if (seen.Add(item)) seq.Add(item);
            }
            sequences[u] = seq.ToArray();
        }
        return (sequences, topicOf);
    }

    /// <summary>A DiffRec-style dataset: each user's interactions split in time order 80/10/10 into train/valid/test.</summary>
    public static InteractionDataset Interactions(Options? options = null)
    {
        var o = options ?? new Options();
        var (seqs, _) = Histories(o);
        var parts = new (List<int> U, List<int> I)[] { ([], []), ([], []), ([], []) };
        for (int u = 0; u < seqs.Length; u++)
        {
            int n = seqs[u].Length, nTrain = (int)(n * 0.8), nValid = Math.Max(1, (int)(n * 0.1));
            for (int k = 0; k < n; k++)
            {
                var p = k < nTrain ? 0 : k < nTrain + nValid ? 1 : 2;
                parts[p].U.Add(u); parts[p].I.Add(seqs[u][k]);
            }
        }
        var m = parts.Select(p => SparseMatrix.FromPairs(o.Users, o.Items, p.U.ToArray(), p.I.ToArray())).ToArray();
        return new InteractionDataset($"synthetic-{o.Seed}", o.Users, o.Items, m[0], m[1], m[2]);
    }

    /// <summary>A DiffuRec-style dataset: leave-one-out over each user's sequence, items shifted to 1-based ids.</summary>
    public static SequenceDataset Sequences(Options? options = null)
    {
        var o = options ?? new Options();
        var (seqs, _) = Histories(o);
        return new SequenceDataset($"synthetic-seq-{o.Seed}", o.Items,
            seqs.Select(s => s[..^2].Select(i => i + 1).ToArray()).ToArray(),
            seqs.Select(s => s[^2] + 1).ToArray(),
            seqs.Select(s => s[^1] + 1).ToArray());
    }

    static int Pick(Random rng, double[] weights)
    {
        var x = rng.NextDouble() * weights.Sum();
        for (int i = 0; i < weights.Length; i++) { x -= weights[i]; if (x <= 0) return i; }
        return weights.Length - 1;
    }
}
