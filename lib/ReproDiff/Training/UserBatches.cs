using static TorchSharp.torch;

namespace ReproDiff.Training;

/// <summary>Epoch batches of rows of a dense user × item tensor, shuffled each epoch (the official DataLoader with shuffle=True).</summary>
public static class UserBatches
{
    /// <summary>For <see cref="Trainer.Fit"/>: each epoch a new permutation of the rows, in slices of <paramref name="batchSize"/>.</summary>
    public static Func<int, IEnumerable<Tensor>> Shuffled(Tensor rows, int batchSize, Random rng) => _ => Epoch(rows, batchSize, rng);

    static IEnumerable<Tensor> Epoch(Tensor rows, int batchSize, Random rng)
    {
        var n = (int)rows.shape[0];
        var order = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Select(u => (long)u).ToArray();
        for (int start = 0; start < n; start += batchSize)
            yield return rows.index_select(0, tensor(order[start..Math.Min(n, start + batchSize)], device: rows.device));
    }
}
