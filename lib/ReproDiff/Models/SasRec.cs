// SASRec: Kang and McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018 (arXiv 1808.09781).
// Item embedding (padding row 0) + learned positional embedding (§III-B), dropout, causal self-attention
// blocks (§III-C/D) with the padding keys masked, a final LayerNorm, and the last state · Eᵀ as scores (§III-F, shared
// item embedding). Deviations, for the DiffuRec comparison: the blocks are DiffuRec's pre-norm ones (GELU FFN), and the
// loss is cross-entropy over all items rather than the paper's one sampled negative, as RecBole trains it; settings are
// RecBole's defaults (hidden 64, 2 layers, 2 heads, dropout 0.5, embeddings drawn from N(0, 0.02²), no √H scaling)
// because DiffuRec did not publish its baselines' settings.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReproDiff.Models;

public sealed class SasRecNetwork : nn.Module
{
    public Embedding Items { get; }
    readonly Embedding positions;
    readonly UniformDropout dropout;
    readonly ModuleList<TransformerBlock> blocks;
    readonly LayerNorm norm;
    readonly int maxLength;

    public SasRecNetwork(int items, NextItemOptions o) : base(nameof(SasRecNetwork))
    {
        Items = nn.Embedding(items + 1, o.Hidden, padding_idx: 0);
        positions = nn.Embedding(o.MaxLength, o.Hidden);
        dropout = new UniformDropout(o.Dropout);
        blocks = new ModuleList<TransformerBlock>(Enumerable.Range(0, o.Layers).Select(_ => new TransformerBlock(o.Hidden, o.Heads, o.Dropout)).ToArray());
        norm = nn.LayerNorm(o.Hidden, eps: 1e-8);
        maxLength = o.MaxLength;
        RegisterComponents();
        using var _ = no_grad();
        Items.weight!.normal_(0, 0.02);
        positions.weight!.normal_(0, 0.02);
    }

    public Tensor Encode(Tensor s)
    {
        var (b, l) = (s.shape[0], s.shape[1]);
        // positions counted from the right, the last item at L − 1, as in SASRec's fixed-length left-padded input: a batch
        // trimmed to its last l columns (NextItemModel's length groups) gets the same positions
        if (l > maxLength) throw new ArgumentException($"SASRec: sequences of {l} positions exceed the maximum length {maxLength}.");
        var pos = arange(maxLength - l, maxLength, dtype: int64, device: s.device);
        var keep = s.ne(0).unsqueeze(-1).to_type(float32);
        var h = dropout.call(Items.call(s) + positions.call(pos).unsqueeze(0)) * keep;
        // additive mask [B, 1, L, L]: position i attends to real items j ≤ i (a fully padded row attends uniformly; its output is unused)
        var causal = ones(l, l, dtype: @bool, device: s.device).triu(1);
        var mask = causal.unsqueeze(0).logical_or(s.eq(0).unsqueeze(1)).to_type(float32).mul_(-1e9).unsqueeze(1);
        foreach (var block in blocks) h = block.call(h, mask) * keep;
        return norm.call(h);
    }
}

/// <summary>SASRec (Kang and McAuley 2018), a baseline of DiffuRec's Table 2.</summary>
public sealed class SasRec : NextItemModel
{
    public static readonly ModelCard Card = new("SASRec", "Kang and McAuley, Self-Attentive Sequential Recommendation", "ICDM 2018",
        "https://github.com/kang205/SASRec; loss and settings as RecBole's SASRec", "sequential (next item)");

    readonly SasRecNetwork network;
    public override nn.Module Network => network;
    protected override Embedding ItemEmbeddings => network.Items;

    public SasRec(int items, NextItemOptions? options = null, Device? device = null) : base(items, options ?? new NextItemOptions(), device)
    {
        network = new SasRecNetwork(items, Options);
        network.to(Device);
    }

    public override Tensor Encode(Tensor sequences) => network.Encode(sequences);

    /// <summary>Padded keys are masked and positions count from the right, so the padding changes no real position's state.</summary>
    protected override bool PaddingIsInert => true;
}
