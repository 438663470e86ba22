using System.Collections;
using ReproDiff.Runtime;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ReproDiff.Tests.Parity;

/// <summary>A fixture of tests/fixtures/parity/ (a flat dict of tensors written by tools/parity/), read with TorchSharp.PyBridge.</summary>
public sealed class ParityFixture(string file)
{
    readonly Hashtable tensors = PyTorchUnpickler.UnpickleStateDict(Path.Combine(RepositoryLocator.FindRoot()!, "tests", "fixtures", "parity", file));

    public Tensor this[string key] => (Tensor)(tensors[key] ?? throw new KeyNotFoundException($"{file} has no '{key}'"));
}

static class ParityAssert
{
    /// <summary>|official − ours| ≤ max(abs, rel·|official|) elementwise, in float64, with the largest error named on failure.</summary>
    public static void Close(Tensor official, Tensor ours, double abs = 1e-5, double rel = 0, string what = "")
    {
        Assert.Equal(official.shape, ours.shape);
        var o = official.to_type(float64); var u = ours.to_type(float64);
        var err = (o - u).abs();
        var bound = (o.abs() * rel).clamp_min(abs);
        Assert.True((err <= bound).all().item<bool>(), $"{what}: max |official − ours| = {err.max().item<double>():E3}");
    }
}
