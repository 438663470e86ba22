using ReproDiff.Data;
using ReproDiff.Evaluation;
using ReproDiff.Training;
using static TorchSharp.torch;

namespace ReproDiff.Models;

/// <summary>The user face of a next-item model (DiffuRec, SASRec, GRU4Rec): train on a sequence dataset, then score histories.</summary>
public interface ISequentialRecommender : IDisposable
{
    long ParameterCount { get; }
    Device Device { get; }
    /// <summary>How many of the most recent items the model reads (DiffuRec's <c>max_len</c>).</summary>
    int MaxLength { get; }

    TrainingReport Fit(SequenceDataset data, TrainingOptions training, EvaluationProtocol? protocol = null,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, int seed = 1);

    /// <summary>Scores [B, items + 1] for left-padded histories [B, <see cref="MaxLength"/>] (int64); column 0 is the padding id.</summary>
    Tensor Score(Tensor histories);
}
