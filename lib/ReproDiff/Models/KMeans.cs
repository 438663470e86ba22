using static TorchSharp.torch;

namespace ReproDiff.Models;

/// <summary>
/// Lloyd's k-means with Euclidean distance on the device, initialised with k distinct random points, iterated until the
/// centres move less than the tolerance (as <c>kmeans_pytorch.kmeans</c>, which L-DiffRec uses to cluster items).
/// Seeded by libtorch's generator, so <see cref="Runtime.TorchRuntime.Seed"/> makes it repeatable.
/// </summary>
public static class KMeans
{
    /// <summary>Cluster ids [n] (int64) for the rows of <paramref name="x"/> [n, d].</summary>
    public static Tensor Fit(Tensor x, int k, double tolerance = 1e-4, int maxIterations = 300)
    {
        if (k < 1 || k > x.shape[0]) throw new ArgumentException($"k-means: k = {k} must lie in 1..{x.shape[0]} (the number of points).");
        using var scope = NewDisposeScope();
        var centres = x.index_select(0, randperm(x.shape[0], device: x.device).narrow(0, 0, k)).clone();
        Tensor labels = zeros(x.shape[0], int64, x.device);
        for (int it = 0; it < maxIterations; it++)
        {
            labels = cdist(x, centres).argmin(1);
            var next = centres.clone();
            for (int c = 0; c < k; c++)
            {
                var members = labels.eq(c);
                if (members.any().item<bool>()) next[c] = x[members].mean([0]);
            }
            var shift = (next - centres).square().sum(1).sqrt().sum().item<float>();
            centres = next;
            if (shift < tolerance) break;
        }
        labels = cdist(x, centres).argmin(1);
        return labels.MoveToOuterDisposeScope();
    }
}
