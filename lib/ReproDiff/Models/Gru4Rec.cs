// GRU4Rec: Hidasi, Karatzoglou, Baltrunas, Tikk, "Session-based Recommendations with Recurrent Neural Networks", ICLR 2016.
// Item embedding → dropout → GRU → a dense layer back to the embedding size, scored against the tied item table and
// trained with cross-entropy at every position: RecBole's GRU4Rec (embedding 64, hidden 128, 1 layer, dropout 0.3),
// since DiffuRec did not publish its baselines' settings. Sequences are left-padded, so the GRU reads the padding
// (embedding row 0, kept at zero) before the items.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReproDiff.Models;

public sealed class Gru4RecNetwork : nn.Module
{
    public Embedding Items { get; }
    readonly UniformDropout dropout;
    readonly GRU gru;
    readonly Linear dense;

    public Gru4RecNetwork(int items, NextItemOptions o, int gruHidden) : base(nameof(Gru4RecNetwork))
    {
        Items = nn.Embedding(items + 1, o.Hidden, padding_idx: 0);
        dropout = new UniformDropout(o.Dropout);
        gru = nn.GRU(o.Hidden, gruHidden, numLayers: o.Layers, batchFirst: true);
        dense = nn.Linear(gruHidden, o.Hidden);
        RegisterComponents();
    }

    public Tensor Encode(Tensor s)
    {
        var (output, hn) = gru.call(dropout.call(Items.call(s)));
        hn.Dispose();
        return dense.call(output);
    }
}

/// <summary>GRU4Rec (Hidasi et al. 2016), a baseline of DiffuRec's Table 2.</summary>
public sealed class Gru4Rec : NextItemModel
{
    public static readonly ModelCard Card = new("GRU4Rec", "Hidasi et al., Session-based Recommendations with Recurrent Neural Networks", "ICLR 2016",
        "https://github.com/hidasib/GRU4Rec; loss and settings as RecBole's GRU4Rec", "sequential (next item)");

    /// <summary>RecBole's GRU4Rec defaults: embedding 64, GRU hidden 128, one layer, dropout 0.3.</summary>
    public static NextItemOptions DefaultOptions { get; } = new() { Hidden = 64, Layers = 1, Dropout = 0.3 };

    readonly Gru4RecNetwork network;
    public override nn.Module Network => network;
    protected override Embedding ItemEmbeddings => network.Items;

    /// <summary>The GRU's state size (RecBole's <c>hidden_size</c>); the embedding size is <see cref="NextItemOptions.Hidden"/>.</summary>
    public int GruHidden { get; }

    public Gru4Rec(int items, NextItemOptions? options = null, Device? device = null, int gruHidden = 128) : base(items, options ?? DefaultOptions, device)
    {
        GruHidden = gruHidden;
        network = new Gru4RecNetwork(items, Options, gruHidden);
        network.to(Device);
    }

    public override Tensor Encode(Tensor sequences) => network.Encode(sequences);
}
