using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using ReproDiff.Benchmarks;

// dotnet run -c Release --project bench/ReproDiff.Benchmarks -- --filter '*'   (bench/README.md)
var config = DefaultConfig.Instance.AddColumn(new GflopsColumn());
BenchmarkSwitcher.FromAssembly(typeof(GflopsColumn).Assembly).Run(args, config);

namespace ReproDiff.Benchmarks
{
    /// <summary>Achieved GFLOP/s: the counted matrix-product work of one invocation over its mean time (training counts 3× the forward).</summary>
    public sealed class GflopsColumn : IColumn
    {
        /// <summary>GFLOP of one invocation, by "Type.Method"; benchmarks without counted work show "-".</summary>
        public static IReadOnlyDictionary<string, double> Counted { get; } = new Dictionary<string, double>
        {
            ["DiffRecDenoiserBench.EvalStep"] = DiffRecDenoiserBench.ForwardGflop(),
            ["DiffRecDenoiserBench.TrainStep"] = 3 * DiffRecDenoiserBench.ForwardGflop(),
            ["TransformerBlockBench.Forward"] = TransformerBlockBench.ForwardGflop(),
            ["TransformerBlockBench.ForwardBackward"] = 3 * TransformerBlockBench.ForwardGflop(),
        };

        /// <summary>GFLOP of one invocation of a parameterised benchmark, by "Type.Method", from its parameter's value.</summary>
        public static IReadOnlyDictionary<string, Func<string, double>> CountedByParameter { get; } = new Dictionary<string, Func<string, double>>
        {
            ["ProductShapesBench.Forward"] = ProductShapesBench.ForwardGflop,
            ["ProductShapesBench.Training"] = shape => 3 * ProductShapesBench.ForwardGflop(shape),
            ["BlockPartsBench.ForwardBackward"] = part => 3 * BlockPartsBench.ForwardGflop(part),
            ["ItemLossBench.ForwardBackward"] = part => 3 * ItemLossBench.ForwardGflop(part),
            ["ParallelSchemesBench.TrainStep"] = scheme => (scheme == "two steps at once" ? 6 : 3) * DiffRecDenoiserBench.ForwardGflop(),
        };

        public string Id => "GFLOP/s";
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "counted GFLOP of the matrix products per invocation / mean time";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);
        public string GetValue(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var key = $"{benchmarkCase.Descriptor.Type.Name}.{benchmarkCase.Descriptor.WorkloadMethod.Name}";
            var gflop = Counted.TryGetValue(key, out var counted) ? counted
                : CountedByParameter.TryGetValue(key, out var count) && benchmarkCase.Parameters.Items is [{ Value: string value }] ? count(value)
                : double.NaN;
            return !double.IsNaN(gflop) && summary[benchmarkCase]?.ResultStatistics is { Mean: > 0 } s
                ? (gflop / (s.Mean / 1e9)).ToString("F1", CultureInfo.InvariantCulture)
                : "-";
        }
    }
}
