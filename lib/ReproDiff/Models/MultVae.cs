// MultVAE: Liang, Krishnan, Hoffman, Jebara, "Variational Autoencoders for Collaborative Filtering", WWW 2018.
// Multinomial likelihood over the user's interaction vector (Eq. 2), Gaussian latent with the KL weight β annealed
// linearly to its cap (§2.2.2), L2-normalised input with dropout. Reference code: dawenl/vae_cf (the paper's settings:
// [I → 600 → 200], tanh, dropout 0.5, β cap 0.2 over 200,000 updates, Adam lr 1e-3, batch 500).
// It is the strongest non-diffusion baseline of Wang et al. 2023 Table 2, trained here on the same split and protocol.
using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReproDiff.Models;

public sealed record MultVaeOptions
{
    public int[] Dims { get; init; } = [600, 200];
    public double Dropout { get; init; } = 0.5;
    public double AnnealCap { get; init; } = 0.2;
    public int TotalAnnealSteps { get; init; } = 200_000;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; }
    public int BatchSize { get; init; } = 500;

    public void Validate()
    {
        if (Dims.Length < 1 || Dims.Any(d => d < 1)) throw new ArgumentException("MultVAE: dims must be positive sizes, e.g. [600, 200].");
        if (BatchSize < 1 || !(LearningRate > 0) || AnnealCap < 0 || TotalAnnealSteps < 1)
            throw new ArgumentException("MultVAE: batch size, learning rate and anneal steps must be positive, the anneal cap non-negative.");
    }
}

public sealed class MultVaeNetwork : nn.Module<Tensor, (Tensor Logits, Tensor Mu, Tensor LogVar)>
{
    readonly ModuleList<Linear> encoder, decoder;
    readonly Dropout dropout;
    readonly int latent;

    public MultVaeNetwork(int items, int[] dims, double dropoutRate) : base(nameof(MultVaeNetwork))
    {
        latent = dims[^1];
        int[] enc = [items, .. dims];
        var encoderLayers = new List<Linear>();
        for (int i = 0; i < enc.Length - 1; i++)
            encoderLayers.Add(nn.Linear(enc[i], i == enc.Length - 2 ? 2 * enc[i + 1] : enc[i + 1]));
        int[] dec = [.. dims.Reverse(), items];
        encoder = new ModuleList<Linear>(encoderLayers.ToArray());
        decoder = new ModuleList<Linear>(dec.Zip(dec.Skip(1)).Select(p => nn.Linear(p.First, p.Second)).ToArray());
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
        using var _ = no_grad();
        foreach (var layer in encoder.Concat(decoder))
        {
            nn.init.xavier_normal_(layer.weight!);
            layer.bias!.normal_(0, 0.001);
        }
    }

    public override (Tensor Logits, Tensor Mu, Tensor LogVar) forward(Tensor x)
    {
        var h = dropout.call(nn.functional.normalize(x, 2, 1));
        for (int i = 0; i < encoder.Count; i++)
        {
            h = encoder[i].call(h);
            if (i != encoder.Count - 1) h = h.tanh();
        }
        var mu = h.narrow(1, 0, latent);
        var logVar = h.narrow(1, latent, latent);
        var z = training ? mu + (0.5 * logVar).exp() * randn_like(mu) : mu;
        for (int i = 0; i < decoder.Count; i++)
        {
            z = decoder[i].call(z);
            if (i != decoder.Count - 1) z = z.tanh();
        }
        return (z, mu, logVar);
    }
}

/// <summary>MultVAE with the user face of the other models: Fit, Score.</summary>
public sealed class MultVae : IUserItemRecommender
{
    public static readonly ModelCard Card = new("MultVAE", "Liang et al. 2018, Variational Autoencoders for Collaborative Filtering", "WWW 2018",
        "https://github.com/dawenl/vae_cf", "general (user × item)");

    public MultVaeOptions Options { get; }
    public MultVaeNetwork Network { get; }
    public Device Device { get; }
    Tensor? input;
    long updates;

    public MultVae(int items, MultVaeOptions options, Device? device = null)
    {
        options.Validate();
        Options = options;
        Device = device ?? CPU;
        Network = new MultVaeNetwork(items, options.Dims, options.Dropout);
        Network.to(Device);
    }

    public long ParameterCount => Network.parameters().Sum(p => p.numel());

    /// <summary>−E[log Mult(x | softmax(f(z)))] + β·KL with β = min(cap, updates / total steps).</summary>
    public Tensor ComputeLoss(Tensor x)
    {
        var (logits, mu, logVar) = Network.call(x);
        var nll = -(nn.functional.log_softmax(logits, 1) * x).sum(1).mean();
        var kl = (0.5 * (logVar.exp() + mu.square() - 1 - logVar).sum(1)).mean();
        var beta = Math.Min(Options.AnnealCap, (double)updates++ / Options.TotalAnnealSteps);
        return nll + beta * kl;
    }

    public Tensor Score(long[] users)
    {
        if (input is null) throw new InvalidOperationException("MultVAE: call Fit before scoring.");
        using var _ = no_grad();
        Network.eval();
        return Network.call(input.index_select(0, tensor(users, device: Device))).Logits;
    }

    public TrainingReport Fit(InteractionDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1)
    {
        input?.Dispose();
        input = DiffRec.Dense(data.Train, Device).DetachFromDisposeScope();
        using var optimizer = optim.Adam(Network.parameters(), lr: Options.LearningRate, weight_decay: Options.WeightDecay);
        return Trainer.Fit(Network, [optimizer], UserBatches.Shuffled(input, Options.BatchSize, new Random(seed)),
            x => { Network.train(); return ComputeLoss(x); },
            () => Evaluator.Evaluate(Score, data, test: false, protocol ?? EvaluationProtocol.DiffRec), training, progress, cancel);
    }

    public void Dispose()
    {
        input?.Dispose();
        Network.Dispose();
    }
}
