using ReproDiff.Runtime;
using ReproDiff.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ReproDiff.Tests.Runtime;

/// <summary>bf16 mixed precision through libtorch's autocast switches (facts file §1): a private ABI, so pinned here.</summary>
public class MixedPrecisionTests
{
    [Fact]
    public void A_region_runs_linear_in_bf16_keeps_weights_and_gradients_fp32_and_closes_cleanly()
    {
        TorchRuntime.Seed(0);
        using var scope = NewDisposeScope();
        var layer = nn.Linear(64, 32);
        var x = randn(16, 64);
        Tensor y;
        using (MixedPrecision.Region(Precision.Bf16, CPU))
        {
            Assert.True(MixedPrecision.IsEnabled(CPU));
            y = layer.call(x);
        }
        Assert.False(MixedPrecision.IsEnabled(CPU));
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        y.to_type(ScalarType.Float32).pow(2).mean().backward();
        Assert.Equal(ScalarType.Float32, layer.weight!.dtype);
        Assert.Equal(ScalarType.Float32, layer.weight.grad!.dtype);
        Assert.Equal(ScalarType.Float32, layer.call(x).dtype);             // after the region: fp32 again
        using (MixedPrecision.Region(Precision.Fp32, CPU)) Assert.Equal(ScalarType.Float32, layer.call(x).dtype); // fp32 switches nothing
        var exact = layer.call(x);
        using (MixedPrecision.Region(Precision.Bf16, CPU))
        {
            var close = layer.call(x).to_type(ScalarType.Float32);
            var error = (close - exact).abs().max().item<float>() / exact.abs().max().item<float>();
            Assert.InRange(error, 1e-5, 0.03);                              // bf16 rounding: visible, and small
        }
    }

    [Fact]
    public void The_switch_is_per_thread()
    {
        using var region = MixedPrecision.Region(Precision.Bf16, CPU);
        bool other = true;
        var thread = new Thread(() => other = MixedPrecision.IsEnabled(CPU));
        thread.Start();
        thread.Join();
        Assert.True(MixedPrecision.IsEnabled(CPU));
        Assert.False(other);
    }

    [Fact]
    public void Training_in_bf16_learns_what_fp32_learns_with_fp32_weights()
    {
        double Fit(Precision precision)
        {
            TorchRuntime.Seed(3);
            using var scope = NewDisposeScope();
            var net = nn.Sequential(nn.Linear(32, 128), nn.SiLU(), nn.Linear(128, 1));
            var x = randn(512, 32);
            var y = x.narrow(1, 0, 8).sum(1, keepdim: true);
            var opt = optim.Adam(net.parameters(), lr: 3e-3);
            var report = Trainer.Fit(net, [opt], _ => Enumerable.Range(0, 8).Select(i => i * 64),
                start => nn.functional.mse_loss(net.call(x.narrow(0, start, 64)), y.narrow(0, start, 64)),
                null, new TrainingOptions { MaxEpochs = 40, Precision = precision });
            Assert.All(net.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            return report.Epochs[^1].TrainLoss / report.Epochs[0].TrainLoss;
        }
        if (!Flops.CpuHasBf16())
        {
            Assert.Contains("--precision bf16", Assert.Throws<ReproDiffException>(() => Fit(Precision.Bf16)).Message);
            return;
        }
        var fp32 = Fit(Precision.Fp32);
        var bf16 = Fit(Precision.Bf16);
        Assert.True(fp32 < 0.05, $"fp32 loss ratio {fp32}");
        Assert.True(bf16 < 0.05, $"bf16 loss ratio {bf16}");
        Assert.False(MixedPrecision.IsEnabled(CPU), "the trainer closes its region");
    }

    [Theory]
    [InlineData("fp32", Precision.Fp32)]
    [InlineData(" BF16 ", Precision.Bf16)]
    [InlineData("bfloat16", Precision.Bf16)]
    public void Names_parse(string name, Precision expected) => Assert.Equal(expected, MixedPrecision.Parse(name));

    [Fact]
    public void An_unknown_precision_is_a_user_error_naming_the_option() =>
        Assert.Contains("--precision fp16", Assert.Throws<ReproDiffException>(() => MixedPrecision.Parse("fp16")).Message);
}
