using static TorchSharp.torch;

namespace ReproDiff.Diffusion;

/// <summary>Sinusoidal step embeddings (Vaswani et al. 2017, as DDPM, DiffRec's <c>timestep_embedding</c> and DiffuRec use them).</summary>
public static class TimestepEmbedding
{
    /// <summary>
    /// [cos(t·f_0..f_{d/2−1}), sin(t·f_0..)] with f_i = exp(−ln(maxPeriod)·i/(d/2)); an odd <paramref name="dim"/> gets a zero column.
    /// The cos-first order is DiffRec's and DiffuRec's (both copy guided-diffusion's <c>timestep_embedding</c>).
    /// </summary>
    public static Tensor Sinusoidal(Tensor t, int dim, double maxPeriod = 10000)
    {
        if (dim < 1) throw new ArgumentException($"timestep embedding: dim must be positive, got {dim}.");
        int half = dim / 2;
        var freqs = exp(arange(half, dtype: float32, device: t.device) * (-Math.Log(maxPeriod) / Math.Max(half, 1)));
        var args = t.to_type(float32).unsqueeze(1) * freqs.unsqueeze(0);
        var emb = cat([cos(args), sin(args)], 1);
        return dim % 2 == 1 ? cat([emb, zeros(t.shape[0], 1, device: t.device)], 1) : emb;
    }
}
