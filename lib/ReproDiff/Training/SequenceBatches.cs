using ReproDiff.Data;
using ReproDiff.Runtime;
using static TorchSharp.torch;

namespace ReproDiff.Training;

/// <summary>Training examples of a <see cref="SequenceDataset"/>, built once on the device and served in shuffled batches.</summary>
public static class SequenceBatches
{
    /// <summary>
    /// Every prefix of every training sequence → its next item (DiffuRec src/utils.py <c>Data_Train.split_onebyone</c>):
    /// inputs [N, maxLength] left-padded, targets [N]. N = Σ_u (|S_u| − 1).
    /// </summary>
    public static (Tensor Inputs, Tensor Targets) Prefixes(SequenceDataset data, int maxLength, Device device)
    {
        int n = data.Train.Sum(s => Math.Max(0, s.Length - 1));
        var inputs = new long[(long)n * maxLength];
        var targets = new long[n];
        int row = 0;
        foreach (var s in data.Train)
            for (int end = 1; end < s.Length; end++, row++)
            {
                int take = Math.Min(end, maxLength);
                for (int j = 0; j < take; j++) inputs[(long)row * maxLength + maxLength - take + j] = s[end - take + j];
                targets[row] = s[end];
            }
        return (tensor(inputs, [n, maxLength]).to(device).DetachFromDisposeScope(), tensor(targets).to(device).DetachFromDisposeScope());
    }

    /// <summary>
    /// Windows of at most <paramref name="length"/> items of every training sequence, left-padded [N, length], as the
    /// first author's CBiT cuts sequences (dataloaders: windows ending at the sequence's end and every
    /// <paramref name="stride"/> items before it, down to the window that starts at the first item). The last item of a
    /// window is the target of Du et al.'s model; sequences of one item give no window.
    /// </summary>
    public static Tensor Windows(SequenceDataset data, int length, int stride, Device device)
    {
        if (length < 2 || stride < 1) throw new ArgumentException($"Windows: length {length} must be at least 2 and stride {stride} positive.");
        var rows = new List<long[]>();
        foreach (var s in data.Train)
        {
            if (s.Length < 2) continue;
            var ends = new List<int>();
            for (int end = s.Length; end > length; end -= stride) ends.Add(end);
            ends.Add(Math.Min(length, s.Length));
            foreach (var end in ends)
            {
                var row = new long[length];
                int take = Math.Min(end, length);
                for (int j = 0; j < take; j++) row[length - take + j] = s[end - take + j];
                rows.Add(row);
            }
        }
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Count, length]).to(device).DetachFromDisposeScope();
    }

    /// <summary>
    /// One example per user, as SASRec and GRU4Rec train: the last <paramref name="maxLength"/> + 1 training items, inputs
    /// [U, maxLength] = items 1..n−1 and targets [U, maxLength] = items 2..n (each position predicts the next; 0 = padding, ignored).
    /// </summary>
    public static (Tensor Inputs, Tensor Targets) Shifted(SequenceDataset data, int maxLength, Device device)
    {
        int users = data.Users;
        var inputs = new long[(long)users * maxLength];
        var targets = new long[(long)users * maxLength];
        for (int u = 0; u < users; u++)
        {
            var s = data.Train[u];
            int take = Math.Min(s.Length - 1, maxLength);
            for (int j = 0; j < take; j++)
            {
                inputs[(long)u * maxLength + maxLength - take + j] = s[s.Length - 1 - take + j];
                targets[(long)u * maxLength + maxLength - take + j] = s[s.Length - take + j];
            }
        }
        return (tensor(inputs, [users, maxLength]).to(device).DetachFromDisposeScope(), tensor(targets, [users, maxLength]).to(device).DetachFromDisposeScope());
    }

    /// <summary>
    /// The rows of a left-padded batch [B, L] (0 = padding) in groups of similar real length, each with the number of
    /// trailing columns its longest row needs (at least 1). A model whose padded slots are inert (their keys masked, the
    /// positions counted from the right) gives the same outputs at the real positions on a group's trailing columns as on
    /// all L, and skips the padding: on Beauty's training batches 89% of SASRec's positions and 54% of SeqDiffRec's slots
    /// are padding. The groups minimise the positions computed plus <paramref name="groupCost"/> positions per group (each group costs its
    /// own kernel launches and smaller products), by dynamic programming over the L possible lengths. Inside a bf16
    /// region (<see cref="MixedPrecision.InRegion"/>) the batch stays whole: oneDNN, which multiplies bf16 on the CPU,
    /// generates a kernel for every new product shape, and groups make every batch's shapes new (measured on SeqDiffRec's
    /// Beauty epoch in bf16: 85 s whole, 141 s in groups, the profile full of oneDNN's kernel generator and cache, page-table
    /// flushes and 39% of the samples in OpenMP waits).
    /// </summary>
    public static IReadOnlyList<(Tensor Rows, int Width)> LengthGroups(Tensor sequences, int groupCost = 256)
    {
        var l = (int)sequences.shape[1];
        if (MixedPrecision.InRegion) return [(arange(sequences.shape[0], device: sequences.device), l)];
        long[] lengths;
        using (var counts = sequences.ne(0).sum(1).cpu()) lengths = counts.data<long>().ToArray();
        var histogram = new long[l + 1];
        foreach (var n in lengths) histogram[Math.Max(1, (int)n)]++;
        // least[j]: the least cost of the rows no longer than j; start[j]: where the last group of that grouping starts
        var least = new double[l + 1];
        var start = new int[l + 1];
        for (int j = 1; j <= l; j++)
        {
            least[j] = double.MaxValue;
            long rows = 0;
            for (int i = j - 1; i >= 0; i--)
            {
                rows += histogram[i + 1];
                var cost = least[i] + (rows == 0 ? 0 : rows * (double)j + groupCost);
                if (cost < least[j]) (least[j], start[j]) = (cost, i);
            }
        }
        var groups = new List<(Tensor, int)>();
        for (int j = l; j > 0; j = start[j])
        {
            var (from, to) = (start[j], j);
            var members = Enumerable.Range(0, lengths.Length).Where(r => Math.Max(1, lengths[r]) > from && Math.Max(1, lengths[r]) <= to).Select(r => (long)r).ToArray();
            if (members.Length > 0) groups.Add((tensor(members, device: sequences.device), to));
        }
        return groups;
    }

    /// <summary>
    /// <paramref name="f"/> applied to each length group of a left-padded batch [B, L] (its rows, their trailing columns),
    /// the results [rows, …] put back in the batch's row order: scoring that skips the padding (no gradient through it).
    /// </summary>
    public static Tensor ByLength(Tensor batch, Func<Tensor, Tensor> f)
    {
        Tensor? result = null;
        foreach (var (rows, width) in LengthGroups(batch))
        {
            var part = f(Take(batch, rows, width));
            if (result is null)
            {
                var shape = part.shape.ToArray();
                shape[0] = batch.shape[0];
                result = empty(shape, dtype: part.dtype, device: part.device);
            }
            result.index_copy_(0, rows, part);
        }
        return result!;
    }

    /// <summary>The target that cross-entropy skips (PyTorch's default <c>ignore_index</c>).</summary>
    public const long IgnoredTarget = -100;

    /// <summary>
    /// The positions <paramref name="rows"/> of a product and their <paramref name="targets"/>, padded to a multiple of
    /// <paramref name="multiple"/> rows with row 0 and <see cref="IgnoredTarget"/>, which cross-entropy skips (no loss, no
    /// gradient). For a bf16 region: oneDNN generates and caches a kernel for every new product shape, and the number of
    /// real positions changes with every batch, so the loss's products took a new shape per batch and memory grew with the
    /// epochs as the caches filled (environment/README.md, "Memory in bf16"). Padded, they take a few shapes.
    /// </summary>
    public static (Tensor Rows, Tensor Targets) RoundUpRows(Tensor rows, Tensor targets, int multiple = 128)
    {
        var pad = (int)((multiple - rows.shape[0] % multiple) % multiple);
        if (pad == 0) return (rows, targets);
        return (cat([rows, zeros(pad, dtype: rows.dtype, device: rows.device)]),
                cat([targets, full(pad, IgnoredTarget, dtype: targets.dtype, device: targets.device)]));
    }

    /// <summary>The rows <paramref name="rows"/> of <paramref name="batch"/> [B, L, …], their last <paramref name="width"/> columns.</summary>
    public static Tensor Take(Tensor batch, Tensor rows, int width) =>
        batch.index_select(0, rows)[.., TensorIndex.Slice(-width)];

    /// <summary>For <see cref="Trainer.Fit"/>: each epoch a new permutation of the rows, in slices of <paramref name="batchSize"/> (DataLoader, shuffle=True).</summary>
    public static Func<int, IEnumerable<(Tensor Inputs, Tensor Targets)>> Shuffled(Tensor inputs, Tensor targets, int batchSize, Random rng) =>
        _ => Epoch(inputs, targets, batchSize, rng);

    static IEnumerable<(Tensor, Tensor)> Epoch(Tensor inputs, Tensor targets, int batchSize, Random rng)
    {
        var n = (int)inputs.shape[0];
        var order = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        rng.Shuffle(order);
        for (int start = 0; start < n; start += batchSize)
        {
            var idx = tensor(order[start..Math.Min(n, start + batchSize)], device: inputs.device);
            yield return (inputs.index_select(0, idx), targets.index_select(0, idx));
        }
    }

    /// <summary>Left-padded evaluation inputs for every user [U, maxLength]: the training sequence (validation) or training + validation item (test).</summary>
    public static Tensor Histories(SequenceDataset data, bool test, int maxLength, Device device)
    {
        var inputs = new long[(long)data.Users * maxLength];
        for (int u = 0; u < data.Users; u++)
        {
            var h = SequenceDataset.LeftPad(data.History(u, test), maxLength);
            for (int j = 0; j < maxLength; j++) inputs[(long)u * maxLength + j] = h[j];
        }
        return tensor(inputs, [data.Users, maxLength]).to(device).DetachFromDisposeScope();
    }
}
