using ReproDiff.Data;
using static TorchSharp.torch;

namespace ReproDiff.Models;

/// <summary>
/// Item embeddings for L-DiffRec's clustering when a dataset ships none. The released ML-1M ones come from a LightGCN
/// (issue #14 of the official repository); <see cref="Spectral"/> is a training-free stand-in: the top right singular
/// vectors of the degree-normalised interaction matrix D_u^{-1/2} R D_i^{-1/2}, scaled by their singular values. That
/// matrix is exactly the propagation operator LightGCN smooths with, so items that share users land close together.
/// </summary>
public static class ItemEmbeddings
{
    public static float[,] Spectral(SparseMatrix train, int dim = 64)
    {
        if (dim < 1 || dim > Math.Min(train.Rows, train.Columns))
            throw new ArgumentException($"spectral embeddings: dim = {dim} must lie in 1..{Math.Min(train.Rows, train.Columns)}.");
        using var scope = NewDisposeScope();
        var r = DiffRec.Dense(train, CPU);
        var du = r.sum(1, keepdim: true).clamp_min(1).rsqrt();
        var di = r.sum(0, keepdim: true).clamp_min(1).rsqrt();
        var (_, s, vh) = linalg.svd(du * r * di, fullMatrices: false);
        var v = (vh.narrow(0, 0, dim).t() * s.narrow(0, 0, dim)).contiguous();
        var flat = v.data<float>().ToArray();
        var result = new float[train.Columns, dim];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
        return result;
    }
}
