using ReproDiff.Data;
using static TorchSharp.torch;

namespace ReproDiff.Evaluation;

/// <summary>Metric name (e.g. <c>Recall@20</c>) to value, with the protocol that produced them.</summary>
public sealed record MetricSet(IReadOnlyDictionary<string, double> Values, EvaluationProtocol Protocol, int Users)
{
    public double this[string key] => Values.TryGetValue(key, out var v) ? v
        : throw new KeyNotFoundException($"no metric '{key}' under protocol {Protocol.Name} (it has {string.Join(", ", Values.Keys)}).");

    public override string ToString() =>
        string.Join("  ", Values.Select(kv => $"{kv.Key} {kv.Value.ToString("G5", System.Globalization.CultureInfo.InvariantCulture)}")) + $"  [{Protocol}]";
}

/// <summary>
/// Full-ranking top-K evaluation. Scores are computed on the model's device in batches of users; masking and top-K run
/// there too, and only the K indices per user come back to the host for the metrics.
/// </summary>
public static class Evaluator
{
    /// <summary>
    /// Evaluates <paramref name="score"/> (a batch of user indices → scores [B, items]) for <paramref name="users"/>
    /// against <paramref name="truth"/>. With <see cref="EvaluationProtocol.ExcludeSeen"/>, the items of each user's row
    /// in every <paramref name="seen"/> matrix get −∞ before ranking. <paramref name="onTop"/> receives each batch's users
    /// and their top-K item lists (K = the protocol's largest), for per-user statistics and beyond-accuracy measures.
    /// </summary>
    public static MetricSet Evaluate(Func<long[], Tensor> score, IReadOnlyList<int> users, Func<int, IReadOnlySet<int>> truth,
        EvaluationProtocol protocol, IReadOnlyList<SparseMatrix>? seen = null, Action<long[], int[,]>? onTop = null)
    {
        var maxK = protocol.Ks.Max();
        var keys = protocol.Keys.ToList();
        var sums = keys.ToDictionary(k => k, _ => 0.0);
        var batchMeans = keys.ToDictionary(k => k, _ => new List<double>());
        int withTruth = 0;
        for (int start = 0; start < users.Count; start += protocol.BatchSize)
        {
            var batch = users.Skip(start).Take(protocol.BatchSize).Select(u => (long)u).ToArray();
            int[,] top;
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var s = score(batch).to_type(float32);
                if (protocol.ExcludeSeen && seen is not null)
                {
                    var (rows, cols) = SeenIndices(batch, seen);
                    if (rows.Length > 0) // contiguous: a score function may return an expanded view, whose rows share memory
                        s = s.contiguous().index_put_(tensor(float.NegativeInfinity), [tensor(rows, device: s.device), tensor(cols, device: s.device)]);
                }
                var k = Math.Min(maxK, (int)s.shape[1]);
                var idx = s.topk(k, dim: 1).indexes.cpu().to_type(int32);
                top = new int[batch.Length, k];
                var flat = idx.data<int>().ToArray();
                Buffer.BlockCopy(flat, 0, top, 0, flat.Length * sizeof(int));
            }
            onTop?.Invoke(batch, top);
            var batchSums = keys.ToDictionary(k => k, _ => 0.0);
            int batchTruth = 0;
            var row = new int[top.GetLength(1)];
            for (int b = 0; b < batch.Length; b++)
            {
                var gt = truth((int)batch[b]);
                if (gt.Count == 0) continue;
                batchTruth++;
                for (int j = 0; j < row.Length; j++) row[j] = top[b, j];
                foreach (var m in protocol.Metrics)
                    foreach (var k in protocol.Ks)
                        batchSums[$"{m}@{k}"] += Metrics.Compute(m, row.AsSpan(0, Math.Min(k, row.Length)), gt);
            }
            withTruth += batchTruth;
            foreach (var key in keys)
            {
                sums[key] += batchSums[key];
                if (batchTruth > 0) batchMeans[key].Add(batchSums[key] / batchTruth);
            }
        }
        var values = new Dictionary<string, double>();
        foreach (var key in keys)
        {
            var v = protocol.Averaging switch
            {
                Averaging.AllUsers => users.Count == 0 ? 0 : sums[key] / users.Count,
                Averaging.UsersWithTruth => withTruth == 0 ? 0 : sums[key] / withTruth,
                _ => batchMeans[key].Count == 0 ? 0 : batchMeans[key].Average(),
            } * protocol.Scale;
            values[key] = protocol.RoundDecimals is { } d ? Math.Round(v, d, MidpointRounding.ToEven) : v;
        }
        return new MetricSet(values, protocol, users.Count);
    }

    /// <summary>Evaluates a user × item model on a split of an <see cref="InteractionDataset"/>: test masks train and valid, valid masks train.</summary>
    public static MetricSet Evaluate(Func<long[], Tensor> score, InteractionDataset data, bool test, EvaluationProtocol protocol,
        Action<long[], int[,]>? onTop = null)
    {
        var target = test ? data.Test : data.Valid;
        var sets = new Dictionary<int, IReadOnlySet<int>>();
        IReadOnlySet<int> Truth(int u) => sets.TryGetValue(u, out var s) ? s : sets[u] = target.Row(u).ToArray().ToHashSet();
        var seen = test ? new[] { data.Train, data.Valid } : new[] { data.Train };
        return Evaluate(score, Enumerable.Range(0, data.Users).ToArray(), Truth, protocol, seen, onTop);
    }

    /// <summary>
    /// Evaluates a next-item model on the leave-one-out split of a <see cref="SequenceDataset"/>: each user's left-padded
    /// history (train for validation, train + valid for test) is scored by <paramref name="scoreHistories"/> ([B, L] →
    /// [B, items + 1]) and the one held-out item is the truth. With <see cref="EvaluationProtocol.ExcludeSeen"/>, the whole
    /// history and the padding id 0 are masked; DiffuRec's official protocol masks neither.
    /// </summary>
    public static MetricSet Evaluate(Func<Tensor, Tensor> scoreHistories, SequenceDataset data, bool test, EvaluationProtocol protocol,
        int maxLength, Device device, Action<long[], int[,]>? onTop = null)
    {
        using var histories = Training.SequenceBatches.Histories(data, test, maxLength, device);
        var target = test ? data.Test : data.Valid;
        var truths = target.Select(i => (IReadOnlySet<int>)new HashSet<int> { i }).ToArray();
        IReadOnlyList<SparseMatrix>? seen = null;
        if (protocol.ExcludeSeen)
        {
            var rows = new List<int>(); var cols = new List<int>();
            for (int u = 0; u < data.Users; u++)
                foreach (var item in data.History(u, test).Append(0).Distinct()) { rows.Add(u); cols.Add(item); }
            seen = [SparseMatrix.FromPairs(data.Users, data.Items + 1, rows.ToArray(), cols.ToArray())];
        }
        return Evaluate(users => scoreHistories(histories.index_select(0, tensor(users, device: device))),
            Enumerable.Range(0, data.Users).ToArray(), u => truths[u], protocol, seen, onTop);
    }

    /// <summary>
    /// Top-k items for each user by <paramref name="score"/>, with the items of each <paramref name="exclude"/> matrix's
    /// row masked (e.g. the training history): what a recommender shows a user.
    /// </summary>
    public static int[][] Recommend(Func<long[], Tensor> score, long[] users, int k, IReadOnlyList<SparseMatrix> exclude)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var s = score(users).to_type(float32);
        var (rows, cols) = SeenIndices(users, exclude);
        if (rows.Length > 0) s = s.contiguous().index_put_(tensor(float.NegativeInfinity), [tensor(rows, device: s.device), tensor(cols, device: s.device)]);
        var top = s.topk(k, 1).indexes.cpu().to_type(int32).data<int>().ToArray();
        return Enumerable.Range(0, users.Length).Select(b => top[(b * k)..((b + 1) * k)]).ToArray();
    }

    static (long[] Rows, long[] Cols) SeenIndices(long[] batch, IReadOnlyList<SparseMatrix> seen)
    {
        var rows = new List<long>(); var cols = new List<long>();
        for (int b = 0; b < batch.Length; b++)
            foreach (var m in seen)
                foreach (var c in m.Row((int)batch[b])) { rows.Add(b); cols.Add(c); }
        return (rows.ToArray(), cols.ToArray());
    }

    /// <summary>Collects the top-K lists <see cref="Evaluate(Func{long[], Tensor}, InteractionDataset, bool, EvaluationProtocol, Action{long[], int[,]}?)"/> passes to its <c>onTop</c>, one per user.</summary>
    public sealed class TopLists
    {
        readonly Dictionary<long, int[]> lists = [];
        public void Add(long[] users, int[,] top)
        {
            for (int b = 0; b < users.Length; b++)
            {
                var row = new int[top.GetLength(1)];
                for (int j = 0; j < row.Length; j++) row[j] = top[b, j];
                lists[users[b]] = row;
            }
        }
        /// <summary>User → top-K items, best first.</summary>
        public IReadOnlyDictionary<long, int[]> ByUser => lists;
        /// <summary>The first <paramref name="k"/> items of every user's list.</summary>
        public IEnumerable<int[]> Top(int k) => lists.Values.Select(l => l.Length <= k ? l : l[..k]);
    }
}
