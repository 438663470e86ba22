using System.Text.Json;
using ReproDiff.Reproduction;
using ReproDiff.Runtime;

namespace ReproDiff.Tests.Reproduction;

/// <summary>
/// Notebook 01 in the full profile (issue 13): the runner's summary committed as papers/du2023/notebook-01-full.json, and
/// what papers/du2023/README.md says about it ("Notebook 01 in the full profile").
/// </summary>
public class NotebookFullRunTests
{
    static readonly string Folder = Path.Combine(RepositoryLocator.FindRoot()!, "papers", "du2023");

    static (JsonElement Summary, Dictionary<string, JsonElement> Results) Load()
    {
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "notebook-01-full.json"))).RootElement;
        return (summary, summary.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("value")));
    }

    [Fact]
    public void Notebook_01_ran_every_cell_in_the_full_profile()
    {
        var (summary, results) = Load();
        Assert.Equal("passed", summary.GetProperty("status").GetString());
        Assert.Equal("full", summary.GetProperty("parameters").GetProperty("Profile").GetString());
        Assert.Equal(summary.GetProperty("codeCells").GetInt32(), summary.GetProperty("cellsRun").GetInt32());
        Assert.Equal(0.0, results["history_change_max"].GetDouble());                  // only the target slot is noised
        Assert.Equal(1, results["sampler_warmed_up"].GetInt32());
    }

    [Fact]
    public void Its_studies_are_the_committed_ones_taken_through_the_runner()
    {
        var (_, results) = Load();
        // Section 8.1's recorded numbers are those of the committed file: the runner imported every seed instead of training
        var steps = ReproductionJson.Load(Path.Combine(Folder, "ablation-steps-diffurec-amazon-beauty.json"));
        foreach (var run in steps.Runs)
        {
            var n = System.Text.RegularExpressions.Regex.Match(run.Model, @"Steps=(\d+)").Groups[1].Value;
            var schedule = run.Model.Contains("Schedule=cosine") ? "cosine" : "linear";
            var chain = run.Results!.Single(t => t.Protocol == Du2023.Protocol.Name && t.Model == run.Model);
            Assert.Equal(chain.Metrics["NDCG@10"], results[$"steps_{schedule}_{n}_chain_ndcg@10"].GetDouble(), 12);
        }
        Assert.Equal(20, results["committed_cells"].GetInt32());
    }

    [Fact]
    public void Section_6_on_all_test_users_reads_as_the_readme_says()
    {
        var (_, r) = Load();
        double N(string key) => r[key].GetDouble();
        // one step (K = 4) matches the chain within their spread over three sampling seeds
        Assert.True(Math.Abs(N("one_step_k4_ndcg@10") - N("chain_ndcg@10")) <= 2 * Math.Max(N("chain_ndcg@10_std"), N("one_step_k4_ndcg@10_std")));
        // both at about a third of most-popular; SASRec about twelve times the chain; random far below
        Assert.InRange(N("chain_ndcg@10") / N("popular_ndcg@10"), 0.25, 0.45);
        Assert.InRange(N("one_step_k4_ndcg@10") / N("popular_ndcg@10"), 0.25, 0.5);
        Assert.InRange(N("sasrec_ndcg@10") / N("chain_ndcg@10"), 10, 15);
        Assert.True(N("random_ndcg@10") < 0.25 * N("chain_ndcg@10"));
        // the chain's 32 passes against one: more than five times the latency (13.6 times in this run)
        Assert.True(N("chain_latency_ms_per_1000") > 5 * N("one_step_k1_latency_ms_per_1000"));
        // two draws share about a tenth of the chain's top 10; one step with K = 1 less, K = 16 more
        Assert.InRange(N("chain_jaccard"), 0.08, 0.16);
        Assert.True(N("one_step_k1_jaccard") < N("chain_jaccard") && N("chain_jaccard") < N("one_step_k16_jaccard"));
    }
}

/// <summary>
/// Notebook 04 in the full profile (issue 14): the runner's summary committed as papers/comparison/notebook-04-full.json,
/// and what papers/comparison/README.md says about it ("Notebook 04 in the full profile").
/// </summary>
public class Notebook04FullRunTests
{
    static readonly string Folder = Path.Combine(RepositoryLocator.FindRoot()!, "papers", "comparison");

    [Fact]
    public void Notebook_04_ran_every_cell_in_the_full_profile_on_the_committed_comparisons()
    {
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "notebook-04-full.json"))).RootElement;
        Assert.Equal("passed", summary.GetProperty("status").GetString());
        Assert.Equal("full", summary.GetProperty("parameters").GetProperty("Profile").GetString());
        Assert.False(summary.GetProperty("parameters").GetProperty("Retrain").GetBoolean());
        Assert.Equal(summary.GetProperty("codeCells").GetInt32(), summary.GetProperty("cellsRun").GetInt32());
        var results = summary.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("value"));
        // the runner imported every committed seed: each recorded accuracy is the committed report's
        Assert.Equal(9, results["comparison_rows"].GetInt32());
        var clean = Comparison.Load(Path.Combine(Folder, "user-item-diffrec-ml-1m-clean.json"));
        foreach (var row in clean.Rows)
            Assert.Equal(row.Metrics["NDCG@20"].Estimate, results[$"{row.Model.ToLowerInvariant()}_ndcg@20"].GetDouble(), 4);
        foreach (var (dataset, prefix) in new[] { ("diffurec-amazon-beauty", "next"), ("diffurec-toys", "toys"), ("s3rec-sports", "sports"), ("s3rec-yelp", "yelp") })
        {
            var report = Comparison.Load(Path.Combine(Folder, $"next-item-{dataset}.json"));
            foreach (var row in report.Rows)
            {
                var key = $"{prefix}_{System.Text.RegularExpressions.Regex.Replace(row.Model.ToLowerInvariant(), "[^a-z0-9]+", "_").Trim('_')}_ndcg@10";
                Assert.Equal(row.Metrics["NDCG@10"].Estimate, results[key].GetDouble(), 4);
            }
            Assert.Equal(report.Rows[0].Model, results[$"{prefix}_best_model"].GetString());
        }
        Assert.Equal("SASRec", results["yelp_best_model"].GetString());
    }
}
