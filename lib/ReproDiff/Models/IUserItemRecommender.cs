using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Training;
using static TorchSharp.torch;

namespace ReproDiff.Models;

/// <summary>The user face of a user × item model (DiffRec family, MultVAE): train on a dataset, then score users.</summary>
public interface IUserItemRecommender : IDisposable
{
    long ParameterCount { get; }

    TrainingReport Fit(InteractionDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1);

    /// <summary>Scores [users, items] for the given users (higher is better); seen items are not masked here.</summary>
    Tensor Score(long[] users);
}
