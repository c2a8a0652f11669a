using System.Text.Json.Nodes;

namespace Fkd.Cli.Tests.EndToEnd;

/// <summary>Several `run`s share one store at once: every key is computed by exactly one of them, the others reuse it.</summary>
public sealed class ConcurrentRunsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-concurrent-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task Four_processes_on_overlapping_pipelines_compute_each_key_once_and_all_succeed()
    {
        var store = Path.Combine(_dir, "artifacts");
        string[] tiny = ["--set", "faces.train_rows=300", "--set", "faces.test_rows=20", "--set", "faces.duplicate_groups=3", "--set", "faces.wrong_labels=2"];
        string[] Run(params string[] extra) => ["run", RepoPaths.InRepo("pipelines", "data.json"), "--store", store, "--json", "--jobs", "2", .. tiny, .. extra];
        // Two identical runs, and two that share everything up to outliers or the report.
        var runs = await Task.WhenAll(
            Task.Run(() => CliProcess.Run(null, Run())),
            Task.Run(() => CliProcess.Run(null, Run())),
            Task.Run(() => CliProcess.Run(null, Run("--set", "outliers.shape_z=6"))),
            Task.Run(() => CliProcess.Run(null, Run("--set", "report.max_groups=4"))));

        Assert.All(runs, r => Assert.True(r.Exit == 0, r.Tail));
        var stages = runs.SelectMany(r => JsonNode.Parse(r.Stdout)!["stages"]!.AsArray())
            .Select(s => (Key: (string)s!["key"]!, Status: (string)s["status"]!)).ToList();
        Assert.All(stages, s => Assert.Contains(s.Status, new[] { "computed", "cached" }));
        var computedPerKey = stages.GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Count(s => s.Status == "computed"));
        Assert.All(computedPerKey, kv => Assert.True(kv.Value == 1, $"key {kv.Key[..12]} computed {kv.Value} times"));
        Assert.Equal(10, computedPerKey.Count); // 7 shared-or-not stages of data.json: faces … report, plus 1 outliers, 2 reports more

        var verify = CliProcess.Run(null, "verify", "--store", store);
        Assert.True(verify.Exit == 0, verify.Tail);
        Assert.Empty(Directory.GetDirectories(Path.Combine(store, "tmp")));
    }
}
