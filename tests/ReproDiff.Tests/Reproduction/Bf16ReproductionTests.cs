using ReproDiff.Reporting;
using ReproDiff.Reproduction;
using ReproDiff.Runtime;

namespace ReproDiff.Tests.Reproduction;

/// <summary>
/// bf16 mixed precision (issue 16) against the reproduction: the committed bf16 runs of DiffRec, L-DiffRec and MultVAE on
/// clean ML-1M (papers/wang2023/bf16-diffrec-ml-1m-clean.json, three seeds) and of SASRec on Beauty
/// (papers/du2023/bf16-diffurec-amazon-beauty-sasrec.json, three seeds to the stopping rule) and DiffuRec on Beauty
/// (papers/du2023/bf16-diffurec-amazon-beauty-diffurec*.json: three seeds at fp32's epoch counts, one at fp32's budget)
/// against the committed fp32 runs of the same seeds.
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
    public void Bf16_DiffuRec_on_Beauty_matches_fp32_at_its_epoch_counts_and_beats_it_at_the_same_budget()
    {
        var fp32 = ReproductionJson.Load(Path.Combine(Du, "reproduced-diffurec-amazon-beauty-diffurec.json"));
        // budgets that stop bf16 after the epochs the 30-minute budget gave fp32's seed: 18 minutes after 5 (seeds 1 and 2),
        // 14 minutes after 4 (seed 3)
        var sameEpochs = new[] { "bf16-diffurec-amazon-beauty-diffurec-5-epochs.json", "bf16-diffurec-amazon-beauty-diffurec-4-epochs.json" }
            .Select(f => ReproductionJson.Load(Path.Combine(Du, f))).ToList();
        var runs = sameEpochs.SelectMany(r => r.Runs).OrderBy(r => r.Seed).ToList();
        Assert.Equal([1, 2, 3], runs.Select(r => r.Seed).ToList());
        Assert.All(runs, r => Assert.Equal(("bf16", fp32.Runs.Single(f => f.Seed == r.Seed).Epochs), (r.Precision, r.Epochs)));
        var du2023 = fp32.Cells.Where(c => c.Protocol.StartsWith("du2023", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, du2023.Count);
        foreach (var f in du2023)
        {
            var parts = sameEpochs.Select(r => r.Cells.Single(c => c.Metric == f.Metric && c.K == f.K && c.Protocol == f.Protocol)).ToList();
            var perSeed = parts.SelectMany(c => c.PerSeed).ToList();
            var (mean, std) = ResultRow.MeanStd(perSeed);
            AssertWithinTolerance(parts[0] with { OursMean = mean, OursStd = std, Seeds = parts.SelectMany(c => c.Seeds).ToList(), PerSeed = perSeed }, f);
        }
        // at the same 30-minute budget bf16 trains more epochs (8 against 4-5) and ranks far better: the budget moves it
        var sameBudget = ReproductionJson.Load(Path.Combine(Du, "bf16-diffurec-amazon-beauty-diffurec.json"));
        var budgeted = sameBudget.Runs.Single();
        Assert.True(budgeted.Epochs > fp32.Runs.Max(r => r.Epochs), $"{budgeted.Epochs} epochs");
        double Ndcg10(ReproductionResult r) => r.Cells.Single(c => c.Metric == "NDCG" && c.K == 10 && c.Protocol.StartsWith("du2023", StringComparison.Ordinal)).OursMean;
        Assert.True(Ndcg10(sameBudget) > 2 * Ndcg10(fp32), $"{Ndcg10(sameBudget)} against {Ndcg10(fp32)}");
    }
}
