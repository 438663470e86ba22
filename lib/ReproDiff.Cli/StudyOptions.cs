using System.CommandLine;
using System.Globalization;

namespace ReproDiff.Cli;

/// <summary>The options of every command that runs a study through the experiment runner (reproduce, compare).</summary>
sealed class StudyOptions
{
    public readonly Option<string> Profile = new("--profile") { Description = "quick (a smoke test on the real data, no verdicts) or full (every model to its stopping rule).", DefaultValueFactory = _ => "full" };
    public readonly Option<string> Seeds = new("--seeds") { Description = "Comma-separated seeds.", DefaultValueFactory = _ => "1,2,3" };
    public readonly Option<string> Device = new("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };
    public readonly Option<double?> Budget = new("--budget-minutes") { Description = "Cap each seed's training time; the JSON records the stop reason and its cells say 'not converged' (budgeted)." };
    public readonly Option<string> Precision = new("--precision") { Description = "fp32, or bf16 mixed precision for training (CPUs with AVX512-BF16 or AMX, or CUDA); results go to files marked bf16.", DefaultValueFactory = _ => "fp32" };
    public readonly Option<bool> Resume = new("--resume") { Description = "Continue an interrupted run, or extend a finished one, into the same output, with the same --profile and --budget-minutes (full-profile results of others are refused, not dropped): finished seeds are reused, an unfinished seed continues from its last checkpoint, and the earlier seeds of models or seeds not named here are kept." };

    public StudyOptions() => Profile.AcceptOnlyFromAmong("quick", "full");

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Profile, Seeds, Device, Budget, Precision, Resume }) command.Add(o);
    }

    /// <summary>The values, validated before any work: seeds parse, the budget is positive, the precision is known.</summary>
    public (string Profile, int[] Seeds, string Device, TimeSpan? Budget, bool Resume, Runtime.Precision Precision) Read(ParseResult parse)
    {
        var minutes = parse.GetValue(Budget);
        if (minutes is <= 0) throw new ReproDiffException($"--budget-minutes {minutes}: must be positive.");
        return (parse.GetValue(Profile)!, ParseSeeds(parse.GetValue(Seeds)!), parse.GetValue(Device)!,
            minutes is { } b ? TimeSpan.FromMinutes(b) : null, parse.GetValue(Resume), Runtime.MixedPrecision.Parse(parse.GetValue(Precision)));
    }

    /// <summary>The file stem of a study's results: marked "-bf16" for bf16 runs, so they never overwrite fp32 results.</summary>
    public static string Stem(string stem, Runtime.Precision precision) => precision == Runtime.Precision.Fp32 ? stem : stem + "-" + Runtime.MixedPrecision.Name(precision);

    static int[] ParseSeeds(string text)
    {
        try { return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new ReproDiffException($"--seeds {text}: expected comma-separated integers, e.g. 1,2,3."); }
    }
}
