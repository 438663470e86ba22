using ReproDiff.Reporting;
using ReproDiff.Reproduction;
using ReproDiff.Runtime;

namespace ReproDiff.Tests.Reproduction;

/// <summary>
/// bf16 mixed precision (issue 16) against the reproduction: the committed bf16 runs of DiffRec, L-DiffRec and MultVAE on
/// clean ML-1M (papers/wang2023/bf16-diffrec-ml-1m-clean.json, three seeds) and of SASRec on Beauty
/// (papers/du2023/bf16-diffurec-amazon-beauty-sasrec.json, three seeds to the stopping rule) against the committed fp32
/// runs of the same seeds.
/// </summary>
public class Bf16ReproductionTests
{
    static readonly string Folder = Path.Combine(RepositoryLocator.FindRoot()!, "papers", "wang2023");
    static readonly string Du = Path.Combine(RepositoryLocator.FindRoot()!, "papers", "du2023");

    /// <summary>The reproduction rule with the fp32 mean as the reference: within max(5%, 2 std).</summary>
    static void AssertWithinTolerance(ReproducedCell bf16, ReproducedCell fp32) =>
        Assert.True(ResultRow.Judge(fp32.OursMean, bf16.OursMean, Math.Max(bf16.OursStd, fp32.OursStd)) == "reproduced",
            $"{bf16.Model} {bf16.Metric}@{bf16.K} ({bf16.Protocol}): bf16 {bf16.OursMean} ± {bf16.OursStd} against fp32 {fp32.OursMean} ± {fp32.OursStd}");

    [Fact]
    public void Bf16_training_stays_within_the_tolerance_of_the_fp32_result_and_flips_only_two_verdicts()
    {
        var bf16 = ReproductionJson.Load(Path.Combine(Folder, "bf16-diffrec-ml-1m-clean.json"));
        var fp32 = new[] { "reproduced-diffrec-ml-1m-clean.json", "reproduced-diffrec-ml-1m-clean-latent-multvae.json" }
            .SelectMany(f => ReproductionJson.Load(Path.Combine(Folder, f)).Cells).ToList();
        Assert.All(bf16.Runs, r => Assert.Equal("bf16", r.Precision));
        Assert.Equal(["DiffRec", "L-DiffRec", "MultVAE"], bf16.Cells.Select(c => c.Model).Distinct().Order().ToList());
        var flipped = new List<string>();
        foreach (var c in bf16.Cells)
        {
            var f = fp32.Single(x => x.Model == c.Model && x.Metric == c.Metric && x.K == c.K && x.Protocol == c.Protocol);
            Assert.Equal(f.Seeds, c.Seeds);
            AssertWithinTolerance(c, f);
            if (f.Verdict != c.Verdict) flipped.Add($"{c.Model} {c.Metric}@{c.K}: {f.Verdict} -> {c.Verdict}");
        }
        // DiffRec's @10 cells: the means moved by 0.0004, but bf16's three seeds spread less (std 0.0033 against 0.0043 for
        // Recall@10), so the rule's 2-std term shrank below the distance to the paper (environment/README.md, "bf16")
        Assert.Equal(["DiffRec NDCG@10: reproduced -> below", "DiffRec Recall@10: reproduced -> below"], flipped.Order().ToList());
    }

    [Fact]
    public void Bf16_SASRec_on_Beauty_stays_within_the_tolerance_of_the_fp32_result_in_every_cell_of_both_protocols()
    {
        var bf16 = ReproductionJson.Load(Path.Combine(Du, "bf16-diffurec-amazon-beauty-sasrec.json"));
        var fp32 = ReproductionJson.Load(Path.Combine(Du, "reproduced-diffurec-amazon-beauty-sasrec.json")).Cells;
        Assert.Equal([1, 2, 3], bf16.Runs.Select(r => r.Seed).Order().ToList());
        Assert.All(bf16.Runs, r => Assert.Equal(("bf16", "SASRec", (double?)null), (r.Precision, r.Model, r.Budget)));
        Assert.Equal(14, bf16.Cells.Count); // HR and NDCG at 1/5/10/20 (du2023) and at 5/10/20 (DiffuRec's official protocol)
        foreach (var c in bf16.Cells)
        {
            var f = fp32.Single(x => x.Model == c.Model && x.Metric == c.Metric && x.K == c.K && x.Protocol == c.Protocol);
            Assert.Equal(f.Seeds, c.Seeds);
            AssertWithinTolerance(c, f);
        }
    }

    [Fact]
    public void Bf16_DiffuRec_on_Beauty_matches_fp32_at_its_epoch_count_and_beats_it_at_the_same_budget()
    {
        var fp32 = ReproductionJson.Load(Path.Combine(Du, "reproduced-diffurec-amazon-beauty-diffurec.json"));
        var sameEpochs = ReproductionJson.Load(Path.Combine(Du, "bf16-diffurec-amazon-beauty-diffurec-5-epochs.json"));
        var sameBudget = ReproductionJson.Load(Path.Combine(Du, "bf16-diffurec-amazon-beauty-diffurec.json"));
        // an 18-minute budget stopped bf16 seed 1 after the 5 epochs that the 30-minute budget gave fp32's seed 1
        var run = sameEpochs.Runs.Single();
        Assert.Equal((1, "bf16", 5), (run.Seed, run.Precision, run.Epochs));
        Assert.Equal(5, fp32.Runs.Single(r => r.Seed == 1).Epochs);
        var du2023 = sameEpochs.Cells.Where(c => c.Protocol.StartsWith("du2023", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, du2023.Count);
        foreach (var c in du2023)
        {
            var f = fp32.Cells.Single(x => x.Metric == c.Metric && x.K == c.K && x.Protocol == c.Protocol);
            AssertWithinTolerance(c, f);
            Assert.InRange(c.OursMean, f.PerSeed.Min(), f.PerSeed.Max() + 0.0007); // at the top of fp32's seed range: above it by 0.0007 at most
        }
        // at the same 30-minute budget bf16 trains more epochs (8 against 4-5) and ranks far better: the budget moves it
        var budgeted = sameBudget.Runs.Single();
        Assert.True(budgeted.Epochs > fp32.Runs.Max(r => r.Epochs), $"{budgeted.Epochs} epochs");
        double Ndcg10(ReproductionResult r) => r.Cells.Single(c => c.Metric == "NDCG" && c.K == 10 && c.Protocol.StartsWith("du2023", StringComparison.Ordinal)).OursMean;
        Assert.True(Ndcg10(sameBudget) > 2 * Ndcg10(fp32), $"{Ndcg10(sameBudget)} against {Ndcg10(fp32)}");
    }
}
