using System.Text.Json.Nodes;
using Fkd.Cli.Tests.EndToEnd;
using Fkd.Flow.Store;

namespace Fkd.Cli.Tests.Commands;

/// <summary>gc and verify --remove beside a run in progress: they never remove what it planned.</summary>
public sealed class GcCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-gc-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public void Entries_a_live_run_planned_survive_gc_and_verify_remove_until_it_ends()
    {
        var store = Path.Combine(_dir, "artifacts");
        var run = CliProcess.Run(null, "run", RepoPaths.InRepo("pipelines", "data.json"), "--store", store, "--json",
            "--set", "faces.train_rows=100", "--set", "faces.test_rows=8");
        Assert.True(run.Exit == 0, run.Tail);
        var keys = JsonNode.Parse(run.Stdout)!["stages"]!.AsArray().Select(s => (string)s!["key"]!).ToList();
        // Nothing refers to these entries any more but a run that is still going (this test holds its marker).
        Directory.Delete(Path.Combine(store, "refs"), true);
        Directory.Delete(Path.Combine(store, "runs"), true);
        var s = new ArtifactStore(store);
        var damaged = Path.Combine(s.EntryPath(keys[0]), "training.csv");
        File.AppendAllText(damaged, "x");

        using (LiveRun.Start(s, "20261201-000000-live", keys))
        {
            var gc = CliProcess.Run(null, "gc", "--store", store, "--keep-runs", "0", "--json");
            Assert.True(gc.Exit == 0, gc.Tail);
            Assert.Empty(JsonNode.Parse(gc.Stdout)!["removed"]!.AsArray());
            var verify = CliProcess.Run(null, "verify", "--store", store, "--remove");
            Assert.Contains("not removed: a run in progress uses it", verify.Stderr);
            Assert.All(keys, k => Assert.True(Directory.Exists(s.EntryPath(k))));
        }

        var after = CliProcess.Run(null, "gc", "--store", store, "--keep-runs", "0", "--json");
        Assert.Equal(keys.Order(), JsonNode.Parse(after.Stdout)!["removed"]!.AsArray().Select(k => (string)k!).Order());
    }
}
