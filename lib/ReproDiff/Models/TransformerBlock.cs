// The pre-norm Transformer block of DiffuRec (WHUIR/DiffuRec src/diffurec.py: SublayerConnection, MultiHeadedAttention,
// PositionwiseFeedForward, TransformerBlock), also used by SASRec here with a causal mask:
//   h ← h + Dropout(Attention(LN(h)));  h ← h + Dropout(FFN(LN(h)));  h ← Dropout(h)
// FFN is Linear(H, 4H) → GELU (tanh form) → Dropout → Linear(4H, H); LN has ε = 1e-12 (the code's TF-style LayerNorm).
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ReproDiff.Models;

public sealed class TransformerBlock : nn.Module<Tensor, Tensor, Tensor>
{
    readonly int heads;
    readonly double dropoutRate;
    readonly Linear qkv, output, w1, w2;
    readonly LayerNorm norm1, norm2;
    readonly UniformDropout dropout1, dropout2, dropoutFfn, dropoutOut, dropoutAttention;

    /// <param name="hidden">Model width H (a multiple of <paramref name="heads"/>).</param>
    public TransformerBlock(int hidden, int heads, double dropout) : base(nameof(TransformerBlock))
    {
        if (hidden % heads != 0) throw new ArgumentException($"Transformer: hidden size {hidden} is not a multiple of {heads} heads.");
        this.heads = heads;
        dropoutRate = dropout;
        qkv = nn.Linear(hidden, 3 * hidden);   // the three query/key/value Linear(H, H) fused into one: same parameters and init
        output = nn.Linear(hidden, hidden);
        w1 = nn.Linear(hidden, 4 * hidden);
        w2 = nn.Linear(4 * hidden, hidden);
        norm1 = nn.LayerNorm(hidden, eps: 1e-12);
        norm2 = nn.LayerNorm(hidden, eps: 1e-12);
        dropout1 = new(dropout); dropout2 = new(dropout); dropoutFfn = new(dropout); dropoutOut = new(dropout); dropoutAttention = new(dropout);
        RegisterComponents();
        using var _ = no_grad();
        nn.init.xavier_normal_(output.weight!); // w_layer, w_1 and w_2 are Xavier-normal in the reference; q/k/v keep PyTorch's default
        nn.init.xavier_normal_(w1.weight!);
        nn.init.xavier_normal_(w2.weight!);
    }

    /// <summary>
    /// <paramref name="h"/> [B, L, H]; <paramref name="mask"/> an additive attention mask broadcastable to [B, heads, L, L]
    /// (0 = attend, −1e9 = blocked), or null. <paramref name="queryKeep"/> [B, 1, L, 1] (1 = real, 0 = padding) is DiffuRec's
    /// released mask, which fills the scores of padded <em>query</em> rows with −1e9 (masked_fill): those rows attend
    /// uniformly and pass no gradient to q or k. Zeroing their queries does exactly that; an additive −1e9 row would give
    /// the same forward pass but leak gradient through the softmax (found by the DiffuRec parity test).
    /// With <paramref name="lastOnly"/>, only the last position's output is computed ([B, 1, H]): the keys and values
    /// still come from every position, so the result equals the last row of the full output.
    /// </summary>
    public Tensor forward(Tensor h, Tensor? mask, bool lastOnly, Tensor? queryKeep = null)
    {
        var (b, l, d) = (h.shape[0], h.shape[1], h.shape[2]);
        var x = norm1.call(h);
        var proj = qkv.call(x).view(b, l, 3, heads, d / heads).permute(2, 0, 3, 1, 4); // [3, B, heads, L, dh]
        var (q, k, v) = (proj[0], proj[1], proj[2]);
        if (lastOnly)
        {
            q = q[.., .., TensorIndex.Slice(-1), ..];
            mask = mask is null || mask.size(-2) == 1 ? mask : mask[.., .., TensorIndex.Slice(-1), ..];
            queryKeep = queryKeep?[.., .., TensorIndex.Slice(-1), ..];
            h = h[.., TensorIndex.Slice(-1), ..];
        }
        if (queryKeep is not null) q = q * queryKeep;
        // softmax(q kᵀ/√d_h + mask) v; with attention dropout in training, spelled out (libtorch's fused kernel draws its
        // dropout mask with the slow bernoulli path), else the fused kernel
        Tensor att;
        if (training && dropoutRate > 0)
        {
            var scores = q.matmul(k.transpose(-2, -1)).div_(Math.Sqrt(q.shape[3]));
            att = dropoutAttention.call(F.softmax(mask is null ? scores : scores.add_(mask), -1)).matmul(v);
        }
        else att = F.scaled_dot_product_attention(q, k, v, mask);
        h = h + dropout1.call(output.call(att.transpose(1, 2).reshape(b, q.shape[2], d)));
        var ffn = w2.call(dropoutFfn.call(w1.call(norm2.call(h)).gelu(TorchSharp.Modules.GELU.Approximate.tanh)));
        return dropoutOut.call(h + dropout2.call(ffn));
    }

    public override Tensor forward(Tensor h, Tensor mask) => forward(h, mask, lastOnly: false);
}
