// LightGCN: He, Deng, Wang, Li, Zhang, Wang, "LightGCN: Simplifying and Powering Graph Convolution Network for
// Recommendation", SIGIR 2020. Reference code: gusye1234/LightGCN-PyTorch (model.py, utils.py BPR sampling).
//   E^(k+1) = Â E^(k) with Â = D^{-1/2} A D^{-1/2} over the user–item bipartite graph (Eq. 7), the final embedding the
//   mean of E^(0..K) (Eq. 8), trained with BPR on one sampled negative per observed pair and L2 on the batch's
//   E^(0) rows (Eq. 15). Wang et al. 2023 cluster items by LightGCN embeddings for L-DiffRec but never published how
//   they trained them (YiyanXu/DiffRec issue #14); this trainer produces them for any dataset.
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Models;

/// <summary>LightGCN's published defaults: 64 dimensions, 3 layers, Adam 1e-3, L2 1e-4, batch 2048.</summary>
public sealed record LightGcnOptions
{
    public int Dim { get; init; } = 64;
    public int Layers { get; init; } = 3;
    public double LearningRate { get; init; } = 1e-3;
    public double Regularization { get; init; } = 1e-4;
    public int BatchSize { get; init; } = 2048;

    public void Validate()
    {
        if (Dim < 1 || Layers < 0 || BatchSize < 1 || !(LearningRate > 0) || Regularization < 0)
            throw new ArgumentException("LightGCN: dim and batch size must be positive, layers and regularisation non-negative.");
    }
}

public sealed class LightGcn : IUserItemRecommender
{
    public static readonly ModelCard Card = new("LightGCN", "He et al., LightGCN", "SIGIR 2020", "https://github.com/gusye1234/LightGCN-PyTorch", "general (user × item)");

    sealed class Network : nn.Module
    {
        public readonly TorchSharp.Modules.Parameter E0;
        public Network(int nodes, int dim) : base("LightGcn")
        {
            E0 = new TorchSharp.Modules.Parameter(normal(0, 0.1, [nodes, dim])); // the reference code's init, N(0, 0.1²)
            RegisterComponents();
        }
    }

    public LightGcnOptions Options { get; }
    public Device Device { get; }
    public int Users { get; }
    public int Items { get; }
    public long ParameterCount => network.E0.numel();
    readonly Network network;
    Tensor? adjacency;   // Â, sparse [(U + I), (U + I)]

    public LightGcn(int users, int items, LightGcnOptions? options = null, Device? device = null)
    {
        Options = options ?? new LightGcnOptions();
        Options.Validate();
        Users = users; Items = items; Device = device ?? CPU;
        network = new Network(users + items, Options.Dim);
        network.to(Device);
    }

    /// <summary>Â = D^{-1/2} [[0, R], [Rᵀ, 0]] D^{-1/2} as a sparse tensor.</summary>
    public static Tensor NormalisedAdjacency(SparseMatrix r, Device device)
    {
        int u = r.Rows, n = r.Rows + r.Columns;
        var degree = new double[n];
        for (int row = 0; row < u; row++)
            foreach (var c in r.Row(row)) { degree[row]++; degree[u + c]++; }
        var idx = new long[2, 2 * r.NonZeros];
        var values = new float[2 * r.NonZeros];
        int k = 0;
        for (int row = 0; row < u; row++)
            foreach (var c in r.Row(row))
            {
                var w = (float)(1 / Math.Sqrt(degree[row] * degree[u + c]));
                (idx[0, k], idx[1, k], values[k]) = (row, u + c, w); k++;
                (idx[0, k], idx[1, k], values[k]) = (u + c, row, w); k++;
            }
        return sparse_coo_tensor(tensor(idx), tensor(values), [n, n]).to(device); // each (row, col) occurs once: already coalesced
    }

    /// <summary>The mean of E^(0..K) (Eq. 8).</summary>
    Tensor Propagate()
    {
        var e = network.E0 * 1f;
        var sum = e;
        for (int layer = 0; layer < Options.Layers; layer++) { e = adjacency!.mm(e); sum = sum + e; }
        return sum / (Options.Layers + 1);
    }

    /// <summary>Scores [users, items] = e_u · e_i of the propagated embeddings.</summary>
    public Tensor Score(long[] users)
    {
        using var _ = no_grad();
        var all = Propagate();
        return all.index_select(0, tensor(users, device: Device)).matmul(all.narrow(0, Users, Items).t());
    }

    /// <summary>The propagated item embeddings, [items, dim], for L-DiffRec's k-means.</summary>
    public float[,] ItemEmbeddings()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var items = Propagate().narrow(0, Users, Items).contiguous().cpu();
        var result = new float[Items, Options.Dim];
        Buffer.BlockCopy(items.data<float>().ToArray(), 0, result, 0, Items * Options.Dim * sizeof(float));
        return result;
    }

    /// <summary>One epoch = one BPR triple per training interaction, in batches (the reference's <c>UniformSample_original</c>).</summary>
    public TrainingReport Fit(InteractionDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1)
    {
        protocol ??= EvaluationProtocol.DiffRec;
        adjacency?.Dispose();
        adjacency = NormalisedAdjacency(data.Train, Device).DetachFromDisposeScope();
        var rng = new Random(seed);
        var train = data.Train;
        var positives = Enumerable.Range(0, train.Rows).Select(u => train.Row(u).ToArray().ToHashSet()).ToArray();
        using var optimizer = optim.Adam(network.parameters(), lr: Options.LearningRate);
        IEnumerable<long[]> Epoch(int _)
        {
            var triples = new long[train.NonZeros * 3];
            int k = 0;
            for (int n = 0; n < train.NonZeros; n++)
            {
                int u; do u = rng.Next(train.Rows); while (positives[u].Count == 0);
                var row = train.Row(u);
                int i = row[rng.Next(row.Length)], j;
                do j = rng.Next(Items); while (positives[u].Contains(j));
                (triples[k++], triples[k++], triples[k++]) = (u, i, j);
            }
            for (int start = 0; start < train.NonZeros; start += Options.BatchSize)
                yield return triples[(start * 3)..(Math.Min(train.NonZeros, start + Options.BatchSize) * 3)];
        }
        return Trainer.Fit(network, [optimizer], Epoch, batch =>
        {
            var t = tensor(batch, device: Device).view(-1, 3);
            var (u, i, j) = (t[.., 0], t[.., 1] + Users, t[.., 2] + Users);
            var all = Propagate();
            var (eu, ei, ej) = (all.index_select(0, u), all.index_select(0, i), all.index_select(0, j));
            var bpr = nn.functional.softplus((eu * ej).sum(1) - (eu * ei).sum(1)).mean();   // −ln σ(ŷ_ui − ŷ_uj)
            var ego = network.E0;
            var l2 = (ego.index_select(0, u).square().sum() + ego.index_select(0, i).square().sum() + ego.index_select(0, j).square().sum()) / (2.0 * t.shape[0]);
            return bpr + Options.Regularization * l2;
        }, () => Evaluator.Evaluate(Score, data, test: false, protocol), training, progress, cancel);
    }

    public void Dispose()
    {
        adjacency?.Dispose();
        network.Dispose();
    }
}
