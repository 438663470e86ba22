using static TorchSharp.torch;

namespace ReproDiff.Models;

/// <summary>
/// Lloyd's k-means with Euclidean distance on the device, as <c>kmeans_pytorch.kmeans</c> (subhadarship/kmeans_pytorch),
/// which L-DiffRec uses to cluster items: k distinct random points as centres; each step assigns every point to its
/// nearest centre and moves each centre to its members' mean (an empty cluster restarts at a random point); it stops once
/// the summed centre shift, <em>squared</em>, is below the tolerance, and returns the assignment of that last step (made
/// before the final move). Seeded by libtorch's generator, so <see cref="Runtime.TorchRuntime.Seed"/> makes it repeatable;
/// the initial points differ from kmeans_pytorch's, which draws them with NumPy.
/// </summary>
public static class KMeans
{
    /// <summary>Cluster ids [n] (int64) for the rows of <paramref name="x"/> [n, d].</summary>
    /// <param name="maxIterations">A safety net; kmeans_pytorch has none (<c>iter_limit = 0</c>).</param>
    public static Tensor Fit(Tensor x, int k, double tolerance = 1e-4, int maxIterations = 10_000)
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
                next[c] = members.any().item<bool>() ? x[members].mean([0]) : x[randint(x.shape[0], [1], device: x.device)].squeeze(0);
            }
            var shift = (next - centres).square().sum(1).sqrt().sum().item<float>();
            centres = next;
            if (shift * shift < tolerance) break;
        }
        return labels.MoveToOuterDisposeScope();
    }
}
