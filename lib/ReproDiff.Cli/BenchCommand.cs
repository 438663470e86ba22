using System.CommandLine;
using System.Text.Json;
using ReproDiff.Data;
using ReproDiff.Training;

namespace ReproDiff.Cli;

/// <summary><c>reprodiff bench</c>: one JSON line per model with seconds per epoch, evaluation time and peak memory.</summary>
static class BenchCommand
{
    public static Command Build()
    {
        var model = new Option<string[]>("--model") { Description = $"Model(s) to time: {string.Join(", ", Bench.Models)}.", Required = true, AllowMultipleArgumentsPerToken = true };
        var dataset = new Option<string>("--dataset") { Description = "Dataset name (see `reprodiff data list`).", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs to time.", DefaultValueFactory = _ => 3 };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads (default: one per core)." };
        var evalUsers = new Option<int?>("--eval-users") { Description = "Time the validation pass on the first N users and scale to all (sequence models)." };
        var precision = new Option<string>("--precision") { Description = "fp32, or bf16 mixed precision for the training epochs (evaluation stays fp32).", DefaultValueFactory = _ => "fp32" };
        var cmd = new Command("bench", "Time training epochs and one evaluation; print one JSON line per model with the counted GFLOP, the achieved GFLOP/s and the machine's matmul throughput.") { model, dataset, epochs, device, threads, evalUsers, precision };
        cmd.SetAction(parse =>
        {
            var root = DataRoot.Resolve(parse.GetValue(Cli.DataOption));
            if (parse.GetValue(epochs) < 1) throw new ReproDiffException($"--epochs {parse.GetValue(epochs)}: must be at least 1.");
            foreach (var m in parse.GetValue(model)!) Bench.Validate(m, parse.GetValue(dataset)!);   // bad input fails before anything runs
            var prec = Runtime.MixedPrecision.Parse(parse.GetValue(precision));
            Runtime.MixedPrecision.Check(prec, Runtime.TorchRuntime.ResolveDevice(parse.GetValue(device)));
            var (fp32, bf16) = Bench.Calibrate(parse.GetValue(device)!, parse.GetValue(threads));   // a few seconds: the ceiling each line is read against
            foreach (var m in parse.GetValue(model)!)
            {
                var r = Bench.Run(m, parse.GetValue(dataset)!, parse.GetValue(epochs), parse.GetValue(device)!, parse.GetValue(threads), root, evalUsers: parse.GetValue(evalUsers), precision: prec)
                    with { MatmulFp32Gflops = fp32, MatmulBf16Gflops = bf16 };
                Console.WriteLine(JsonSerializer.Serialize(r));
            }
            return 0;
        });
        return cmd;
    }
}
