// L-DiffRec: Wang et al. 2023, "Diffusion Recommender Model" §3.4 (latent DiffRec). Items are clustered by k-means
// over item embeddings (LightGCN's, as released in item_emb.npy); one variational encoder per cluster (Linear + tanh)
// compresses that cluster's part of the interaction vector; the reparameterised samples form the latent z_0 (size 300 in
// every released run) where DiffRec's diffusion runs with an MLP denoiser; one linear decoder maps the whole latent back
// to items. Loss (L-DiffRec/main.py): λ·diffusion + VAE (multinomial NLL of the dropped-out input + annealed KL) when
// reweighting, else diffusion + λ·VAE, with λ annealed per epoch from `lamda` down to `anneal_cap` over `anneal_steps`,
// and the KL weight annealed per batch to `vae_anneal_cap`. Two AdamW optimisers: lr1 for the autoencoder, lr2 for the
// denoiser. Reference code: YiyanXu/DiffRec @ d35a6c6, L-DiffRec/models/Autoencoder.py, L-DiffRec/models/DNN.py,
// L-DiffRec/main.py (the first two read in forks that keep them unchanged; the snapshot we have lacks them).
using ReproDiff.Data;
using ReproDiff.Diffusion;
using ReproDiff.Evaluation;
using ReproDiff.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReproDiff.Models;

public sealed record LDiffRecOptions
{
    /// <summary>C, the number of item clusters (<c>--n_cate</c>).</summary>
    public int Clusters { get; init; } = 2;
    /// <summary>Latent size (<c>--in_dims [300]</c>), split over clusters in proportion to their sizes.</summary>
    public int Latent { get; init; } = 300;
    /// <summary>The latent-space denoiser's hidden sizes (<c>--mlp_dims [300]</c>); its input and output are the latent.</summary>
    public int[] MlpDims { get; init; } = [300];
    public double AutoencoderDropout { get; init; } = 0.1;
    public double LearningRateAutoencoder { get; init; } = 1e-3;
    public double LearningRateDenoiser { get; init; } = 5e-4;
    /// <summary>λ balancing the diffusion and VAE losses (<c>--lamda</c>), annealed per epoch down to <see cref="AnnealCap"/>.</summary>
    public double Lambda { get; init; } = 0.03;
    public double AnnealCap { get; init; } = 0.005;
    public int AnnealSteps { get; init; } = 500;
    public double VaeAnnealCap { get; init; } = 0.3;
    public int VaeAnnealSteps { get; init; } = 200;
    /// <summary>
    /// The diffusion part: DiffRec's options (steps, noise, reweight, importance sampling), with <c>beta_fixed</c> off as in
    /// L-DiffRec/, and the latent denoiser's input dropout 0.5 (main.py builds its DNN without a dropout argument, so the
    /// DNN's default 0.5 applies).
    /// </summary>
    public DiffRecOptions Diffusion { get; init; } = new() { Steps = 40, NoiseScale = 0.005, NoiseMin = 5e-3, NoiseMax = 0.02, FixFirstBeta = false, Dropout = 0.5 };
    public int BatchSize { get; init; } = 400;
    /// <summary>T-DiffRec's time weights on the input (LT-DiffRec); null is plain L-DiffRec.</summary>
    public double? TimeWeightMin { get; init; }

    /// <summary>Released settings (L-DiffRec/inference.py; papers.md §1.6).</summary>
    public static LDiffRecOptions Preset(string dataset, bool timeAware = false) => dataset switch
    {
        "diffrec-ml-1m-clean" => new() { TimeWeightMin = timeAware ? 0.1 : null },
        "diffrec-ml-1m-noisy" => new() { Diffusion = new LDiffRecOptions().Diffusion with { Steps = 100 }, TimeWeightMin = timeAware ? 0.1 : null },
        _ => throw new ReproDiffException($"no L-DiffRec preset for dataset '{dataset}'; presets: diffrec-ml-1m-clean, diffrec-ml-1m-noisy."),
    };
}

/// <summary>
/// The official <c>AutoEncoder</c> with the released settings (in_dims [300], out_dims [], act_func tanh): input dropout,
/// one variational encoder per item cluster, Linear(|cluster|, 2·latent_c) followed by tanh (the code appends the
/// activation after every encoder layer, so μ and log σ² lie in (−1, 1)), and, because out_dims is empty, a single
/// decoder Linear(latent, items) over the whole latent. Weights Xavier-normal, biases 0 (<c>xavier_normal_initialization</c>).
/// The official decoder writes items in cluster order and maps them back; ours writes them in item order, the same layer
/// with its rows permuted.
/// </summary>
public sealed class ClusteredAutoencoder : nn.Module<Tensor, (Tensor Input, Tensor Mu, Tensor LogVar)>
{
    readonly ModuleList<Linear> encoders;
    readonly Linear decoder;
    readonly Dropout dropout;
    readonly Tensor[] itemsOf;      // item ids of each cluster
    public int[] LatentSizes { get; }
    public int Items { get; }
    public int[] ClusterSizes => itemsOf.Select(t => (int)t.shape[0]).ToArray();

    public ClusteredAutoencoder(Tensor clusterOfItem, int clusters, int latent, double dropoutRate) : base(nameof(ClusteredAutoencoder))
    {
        Items = (int)clusterOfItem.shape[0];
        var ids = clusterOfItem.cpu().data<long>().ToArray();
        itemsOf = Enumerable.Range(0, clusters).Select(c => tensor(Enumerable.Range(0, Items).Where(i => ids[i] == c).Select(i => (long)i).ToArray())
            .to(clusterOfItem.device).DetachFromDisposeScope()).ToArray();
        if (itemsOf.Any(t => t.shape[0] == 0)) throw new ArgumentException("L-DiffRec: a k-means cluster came out empty; use fewer clusters.");
        // Latent sizes in proportion to cluster sizes (at least 1), int(|cluster| / items · latent) in double precision as
        // Autoencoder.py computes it; the last cluster takes the remainder.
        LatentSizes = new int[clusters];
        for (int c = 0; c < clusters - 1; c++) LatentSizes[c] = Math.Max(1, (int)((double)itemsOf[c].shape[0] / Items * latent));
        LatentSizes[^1] = latent - LatentSizes[..^1].Sum();
        encoders = new ModuleList<Linear>(Enumerable.Range(0, clusters).Select(c => nn.Linear(itemsOf[c].shape[0], 2 * LatentSizes[c])).ToArray());
        decoder = nn.Linear(latent, Items);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
        using var _ = no_grad();
        foreach (var layer in encoders.Append(decoder))
        {
            nn.init.xavier_normal_(layer.weight!);
            layer.bias!.zero_();
        }
    }

    /// <summary>
    /// The dropped-out input (the official <c>Encode</c> returns it, and main.py reconstructs it rather than the clean
    /// input) and the per-cluster Gaussian posteriors, concatenated: μ and log σ² of the latent [B, latent].
    /// </summary>
    public override (Tensor Input, Tensor Mu, Tensor LogVar) forward(Tensor x)
    {
        x = dropout.call(x);
        var mus = new List<Tensor>(); var logVars = new List<Tensor>();
        for (int c = 0; c < encoders.Count; c++)
        {
            var h = encoders[c].call(x.index_select(1, itemsOf[c].to(x.device))).tanh();
            mus.Add(h.narrow(1, 0, LatentSizes[c]));
            logVars.Add(h.narrow(1, LatentSizes[c], LatentSizes[c]));
        }
        return (x, cat(mus, 1), cat(logVars, 1));
    }

    /// <summary>Item logits [B, items] from a latent [B, latent].</summary>
    public Tensor Decode(Tensor z) => decoder.call(z);

    protected override void Dispose(bool disposing)
    {
        if (disposing) foreach (var t in itemsOf) t.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// One L-DiffRec training step's terms: the total loss, the diffusion loss per example (reweighted and divided by p_t) and
/// its value for the importance sampler, the steps, the reconstruction NLL and KL (batch means), the encoder's μ and
/// log σ², the latent z_0, the denoiser's ẑ_0, the decoded item logits, and the two annealed weights used.
/// </summary>
public sealed record LDiffRecLoss(Tensor Total, Tensor Diffusion, Tensor DiffusionWeighted, Tensor T, Tensor Nll, Tensor Kl,
    Tensor Mu, Tensor LogVar, Tensor Z0, Tensor PredZ0, Tensor Reconstruction, double Lambda, double KlWeight);

/// <summary>L-DiffRec (and LT-DiffRec with <see cref="LDiffRecOptions.TimeWeightMin"/>).</summary>
public sealed class LDiffRec : IUserItemRecommender
{
    public static readonly ModelCard Card = new("L-DiffRec", "Wang et al. 2023, Diffusion Recommender Model (§3.4)", "SIGIR 2023",
        "https://github.com/YiyanXu/DiffRec @ d35a6c6 (L-DiffRec/)", "general (user × item), latent diffusion");

    public LDiffRecOptions Options { get; }
    public ClusteredAutoencoder Autoencoder { get; }
    public DiffRecDenoiser Denoiser { get; }
    public GaussianDiffusion Diffusion { get; }
    public ITimestepSampler Sampler { get; }
    public Device Device { get; }
    /// <summary>The k-means cluster of each item.</summary>
    public long[] ClusterOfItem { get; }
    Tensor? input;
    long batchUpdates;
    int epochUpdates;

    /// <param name="itemEmbeddings">[items, d] embeddings to cluster (the released LightGCN ones, or <see cref="LightGcn"/>'s).</param>
    public LDiffRec(float[,] itemEmbeddings, LDiffRecOptions options, Device? device = null)
        : this(Cluster(itemEmbeddings, options.Clusters, device ?? CPU), options, device) { }

    /// <param name="clusterOfItem">The cluster of each item, 0 … C − 1 (the parity tests pin the official fixture's clusters).</param>
    public LDiffRec(long[] clusterOfItem, LDiffRecOptions options, Device? device = null)
    {
        options.Diffusion.Validate();
        if (options.Clusters < 1 || options.Latent < options.Clusters) throw new ArgumentException("L-DiffRec: need at least one cluster and one latent unit per cluster.");
        if (clusterOfItem.Any(c => c < 0 || c >= options.Clusters)) throw new ArgumentException($"L-DiffRec: cluster ids must lie in 0..{options.Clusters - 1}.");
        Options = options;
        Device = device ?? CPU;
        ClusterOfItem = clusterOfItem.ToArray();
        using (var labels = tensor(ClusterOfItem))
            Autoencoder = new ClusteredAutoencoder(labels, options.Clusters, options.Latent, options.AutoencoderDropout);
        Autoencoder.to(Device);
        Denoiser = new DiffRecDenoiser(options.Latent, options.MlpDims, options.Diffusion.EmbeddingSize, options.Diffusion.Dropout);
        using (no_grad()) // L-DiffRec/models/DNN.py: xavier_normal_initialization, i.e. DiffRec's weight law with zero biases
            foreach (var (name, p) in Denoiser.named_parameters()) if (name.EndsWith("bias")) p.zero_();
        Denoiser.to(Device);
        Diffusion = new GaussianDiffusion(options.Diffusion.Schedule(), Device);
        Sampler = options.Diffusion.ImportanceSampling ? new LossSecondMomentSampler(options.Diffusion.Steps) : new UniformTimestepSampler(options.Diffusion.Steps);
    }

    static long[] Cluster(float[,] itemEmbeddings, int clusters, Device device)
    {
        using var emb = tensor(itemEmbeddings).to(device);
        using var labels = KMeans.Fit(emb, clusters);
        return labels.cpu().data<long>().ToArray();
    }

    public long ParameterCount => Autoencoder.parameters().Sum(p => p.numel()) + Denoiser.parameters().Sum(p => p.numel());

    /// <summary>λ at the current epoch.</summary>
    public double CurrentLambda => Lambda(epochUpdates);

    /// <summary>λ after <paramref name="epoch"/> epochs: max((1 − epoch/anneal_steps)·λ, cap) (main.py's <c>lamda</c>).</summary>
    public double Lambda(int epoch) => Options.AnnealSteps > 0
        ? Math.Max((1 - (double)epoch / Options.AnnealSteps) * Options.Lambda, Options.AnnealCap)
        : Math.Max(Options.Lambda, Options.AnnealCap);

    public Tensor ComputeLoss(Tensor x)
    {
        var loss = Losses(x, epochUpdates, batchUpdates++);
        Sampler.Update(loss.T, loss.DiffusionWeighted);
        return loss.Total;
    }

    /// <summary>
    /// One training step's terms (L-DiffRec/main.py's loop body) at the given epoch (λ's anneal counter, 0-based) and batch
    /// (the KL's anneal counter). Draws not given are fresh; the parity tests pass the official code's: the reparameterisation
    /// ε, the steps t with their sampling probabilities p_t, and the diffusion noise.
    /// </summary>
    public LDiffRecLoss Losses(Tensor x, int epoch, long batch, Tensor? eps = null, Tensor? t = null, Tensor? pt = null, Tensor? noise = null)
    {
        var (dropped, mu, logVar) = Autoencoder.call(x);
        var z0 = mu + (0.5 * logVar).exp() * (eps ?? randn_like(mu));                      // reparameterised latent
        var kl = (-0.5 * (1 + logVar - mu.square() - logVar.exp()).sum(1)).mean();
        if (t is null) (t, pt) = Sampler.Sample(x.shape[0], Device);
        var diffusionLoss = Diffusion.TrainingLoss((zt, tt) => Denoiser.call(zt, tt), z0, t, pt, Options.Diffusion.MeanType, Options.Diffusion.Reweight, noise);
        var recon = Autoencoder.Decode(diffusionLoss.PredX0);
        var nll = -(nn.functional.log_softmax(recon, 1) * dropped).sum(1).mean();   // compute_loss(batch_recon, batch_cate)
        var lambda = Lambda(epoch);
        var klWeight = Options.VaeAnnealSteps > 0 ? Math.Min(Options.VaeAnnealCap, (double)batch / Options.VaeAnnealSteps) : Options.VaeAnnealCap;
        var vae = nll + klWeight * kl;
        var elbo = diffusionLoss.Loss.mean();
        var total = Options.Diffusion.Reweight ? lambda * elbo + vae : elbo + lambda * vae;
        return new LDiffRecLoss(total, diffusionLoss.Loss, diffusionLoss.Weighted, t, nll, kl, mu, logVar, z0, diffusionLoss.PredX0, recon, lambda, klWeight);
    }

    /// <summary>Encode (means), run DiffRec's reverse chain in the latent, decode to item scores.</summary>
    public Tensor Score(long[] users)
    {
        if (input is null) throw new InvalidOperationException("L-DiffRec: call Fit before scoring.");
        using var _ = no_grad();
        Autoencoder.eval(); Denoiser.eval();
        return Score(input.index_select(0, tensor(users, device: Device)));
    }

    /// <summary>
    /// Item scores for interaction rows <paramref name="x"/> [B, items] (main.py's <c>evaluate</c>): μ of the encoder, the
    /// reverse chain from T′ = <paramref name="samplingSteps"/> (the preset's when null; <paramref name="startNoise"/> is
    /// the q_sample ε for T′ &gt; 0, fresh when null), the decoder.
    /// </summary>
    public Tensor Score(Tensor x, int? samplingSteps = null, Tensor? startNoise = null)
    {
        using var _ = no_grad();
        Autoencoder.eval(); Denoiser.eval();
        var (_, mu, _) = Autoencoder.call(x);
        var z = Diffusion.PSample((zt, t) => Denoiser.call(zt, t), mu,
            PSampleOptions.DiffRec(samplingSteps ?? Options.Diffusion.SamplingSteps) with { StartNoise = startNoise });
        return Autoencoder.Decode(z);
    }

    public TrainingReport Fit(InteractionDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1)
    {
        input?.Dispose();
        input = DiffRec.Dense(Options.TimeWeightMin is { } w ? data.TimeWeightedTrain(w) : data.Train, Device).DetachFromDisposeScope();
        using var aeOptimizer = optim.AdamW(Autoencoder.parameters(), lr: Options.LearningRateAutoencoder, weight_decay: 0);
        using var mlpOptimizer = optim.AdamW(Denoiser.parameters(), lr: Options.LearningRateDenoiser, weight_decay: 0);
        var batches = UserBatches.Shuffled(input, Options.BatchSize, new Random(seed));
        var both = new ModuleList<nn.Module>(Autoencoder, Denoiser); // a view for the trainer; not disposed (it would dispose the parts)
        var report = Trainer.Fit(both, [aeOptimizer, mlpOptimizer], epoch => { epochUpdates = epoch - 1; return batches(epoch); },
            x => { Autoencoder.train(); Denoiser.train(); return ComputeLoss(x); },
            () => Evaluator.Evaluate(Score, data, test: false, protocol ?? EvaluationProtocol.DiffRec), training, progress, cancel);
        return report;
    }

    public void Dispose()
    {
        input?.Dispose();
        Diffusion.Dispose();
        Denoiser.Dispose();
        Autoencoder.Dispose();
    }
}
