using System.Diagnostics;
using System.Text.Json.Nodes;
using Fkd.Cli.Tests.EndToEnd;
using Fkd.Tests;
using Xunit.Abstractions;

namespace Fkd.Cli.Tests.Cluster;

/// <summary>
/// run --distributed on a real cluster (PostgreSQL, s3rver and CLI workers on 127.0.0.1): the same keys
/// and entries as a local run, nothing computed twice, a killed worker's job finished by another, a
/// damaged shared object caught and recomputed, a bad input failing the run once with the local error.
/// </summary>
[Collection("cluster")]
public sealed class DistributedRunTests(LocalCluster cluster, ITestOutputHelper output)
{
    private static readonly string Full = RepoPaths.InRepo("pipelines", "full.json");

    private static readonly string[] Tiny =
    [
        "--set", "faces.train_rows=240", "--set", "faces.test_rows=12", "--set", "faces.duplicate_groups=4", "--set", "faces.wrong_labels=2",
        "--set", "train.epochs=2", "--set", "train.batch_size=32", "--set", "train.threads=1",
    ];

    private static JsonArray Stages(CliProcess.Result r) => JsonNode.Parse(r.Stdout)!["stages"]!.AsArray();

    private static Dictionary<string, string> Statuses(CliProcess.Result r) =>
        Stages(r).ToDictionary(s => (string)s!["name"]!, s => (string)s!["status"]!);

    private static Dictionary<string, string> Keys(CliProcess.Result r) =>
        Stages(r).ToDictionary(s => (string)s!["name"]!, s => (string)s!["key"]!);

    [ClusterFact]
    public async Task A_distributed_run_on_two_workers_gives_the_local_runs_keys_and_files_and_a_rerun_computes_nothing()
    {
        using var space = cluster.NewSpace("same");
        space.StartWorker("w1");
        space.StartWorker("w2");
        var local = CliProcess.Run(null, ["--store", space.StoreOf("local"), "run", Full, "--json", .. Tiny]);
        Assert.True(local.Exit == 0, local.Tail);

        var first = space.Cli("coord", ["run", Full, "--distributed", "--json", .. Tiny]);
        Assert.True(first.Exit == 0, first.Tail + space.WorkerLog("w1") + space.WorkerLog("w2"));
        Assert.Equal(Keys(local), Keys(first));
        Assert.All(Statuses(first).Values, s => Assert.Equal("computed", s));
        var workers = Stages(first).Select(s => (string?)s!["worker"]).ToHashSet();
        Assert.Subset(new HashSet<string?> { "w1", "w2" }, workers);

        // The coordinator's store now holds every entry, pulled from the shared store: the same files as the local run's.
        foreach (var key in Keys(local).Values)
            AssertSameFiles(Path.Combine(space.StoreOf("local"), "entries", key[..2], key), Path.Combine(space.StoreOf("coord"), "entries", key[..2], key));

        // Exactly one commit per key, and nothing more to do on a rerun, even from a store that has nothing.
        Assert.Equal(Keys(local).Values.Distinct().Count(), space.Query("SELECT count(*) FROM fkd.commits").Single()[0] is long n ? (int)n : -1);
        var again = space.Cli("fresh", ["run", Full, "--distributed", "--json", .. Tiny]);
        Assert.True(again.Exit == 0, again.Tail);
        Assert.All(Statuses(again).Values, s => Assert.Equal("cached", s));
        var verify = CliProcess.Run(null, "--store", space.StoreOf("fresh"), "verify");
        Assert.True(verify.Exit == 0, verify.Tail);
        await Task.CompletedTask;
    }

    [ClusterFact]
    public async Task A_worker_killed_during_training_hands_its_job_to_the_other_and_the_run_succeeds_with_one_commit_per_key()
    {
        using var space = cluster.NewSpace("kill");
        var w1 = space.StartWorker("w1");
        var w2 = space.StartWorker("w2");
        var byName = new Dictionary<string, Process> { ["w1"] = w1, ["w2"] = w2 };
        string[] longer = [.. Tiny, "--set", "train.epochs=4"];
        var run = Task.Run(() => space.Cli("coord", ["run", Full, "--distributed", "--json", .. longer]));

        // Wait until the training is running on one of them, let it train a little, and kill that worker.
        string? victim = null;
        var until = DateTime.UtcNow.AddMinutes(4);
        while (victim is null && DateTime.UtcNow < until && !run.IsCompleted)
        {
            victim = space.Query("SELECT worker FROM fkd.jobs WHERE stage = 'train' AND status = 'running'").FirstOrDefault()?[0] as string;
            await Task.Delay(200);
        }
        Assert.NotNull(victim);
        await Task.Delay(1500);
        byName[victim!].Kill(entireProcessTree: true);
        output.WriteLine($"killed {victim} during training");

        var r = await run;
        Assert.True(r.Exit == 0, r.Tail + space.WorkerLog("w1") + space.WorkerLog("w2"));
        var survivor = victim == "w1" ? "w2" : "w1";
        var train = Stages(r).Single(s => (string)s!["name"]! == "train")!;
        Assert.Equal(survivor, (string?)train["worker"]);
        var commits = space.Query("SELECT key, count(*) FROM fkd.commits GROUP BY key");
        Assert.Equal(Keys(r).Values.Distinct().Count(), commits.Count);
        Assert.All(commits, c => Assert.Equal(1L, c[1]));
        // One Hangfire job per key, none enqueued again: the training's one job was processed twice, the second time by the survivor.
        Assert.Equal((long)commits.Count, space.Query("SELECT count(*) FROM hangfire.job").Single()[0]);
        var trainJob = long.Parse((string)space.Query("SELECT job_id FROM fkd.jobs WHERE stage = 'train'").Single()[0]!);
        var processed = space.Query($"SELECT count(*) FROM hangfire.state WHERE jobid = {trainJob} AND name = 'Processing'").Single()[0];
        output.WriteLine($"training job {trainJob} processed {processed} times");
        Assert.Equal(2L, processed);
    }

    [ClusterFact]
    public async Task A_coordinator_killed_mid_run_and_started_again_follows_the_jobs_that_stand_and_enqueues_no_second_one()
    {
        using var space = cluster.NewSpace("restart");
        space.StartWorker("w1");
        string[] args = ["--store", space.StoreOf("coord"), "run", Full, "--distributed", "--json", .. Tiny, "--set", "train.epochs=3"];
        using (var first = CliProcess.Start(space.Env(), args))
        {
            // Read its output as it comes: a failure then says why the coordinator ended, and a full pipe never stalls it.
            var firstErr = first.StandardError.ReadToEndAsync();
            var firstOut = first.StandardOutput.ReadToEndAsync();
            var until = DateTime.UtcNow.AddMinutes(4);
            while (DateTime.UtcNow < until && !first.HasExited && space.Query("SELECT 1 FROM fkd.jobs WHERE stage = 'train' AND status = 'running'").Count == 0)
                await Task.Delay(200);
            if (first.HasExited)
            {
                var printed = new CliProcess.Result(first.ExitCode, await firstOut, await firstErr);
                Assert.Fail($"the first coordinator ended (exit {printed.Exit}) before the training started: {printed.Tail}\n"
                    + string.Join("\n", space.Query("SELECT stage, status, worker, error FROM fkd.jobs").Select(r => string.Join(" ", r)))
                    + "\n" + space.WorkerLog("w1"));
            }
            first.Kill(entireProcessTree: true);
        }
        var second = CliProcess.Run(space.Env(), args);
        Assert.True(second.Exit == 0, second.Tail + space.WorkerLog("w1"));
        Assert.Contains("Following train", second.Stderr);
        var keys = Keys(second).Values.Distinct().Count();
        Assert.Equal((long)keys, space.Query("SELECT count(*) FROM hangfire.job").Single()[0]);
        Assert.Equal((long)keys, space.Query("SELECT count(*) FROM fkd.commits").Single()[0]);
    }

    [ClusterFact]
    public void An_object_damaged_in_the_S3_servers_folder_is_caught_on_download_and_recomputed()
    {
        using var space = cluster.NewSpace("damage");
        space.StartWorker("w1");
        var first = space.Cli("coord", ["run", Full, "--distributed", "--json", .. Tiny]);
        Assert.True(first.Exit == 0, first.Tail + space.WorkerLog("w1"));
        var augmentKey = Keys(first)["augment"];
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(space.StoreOf("coord"), "entries", augmentKey[..2], augmentKey, "manifest.json")))!;
        var hash = (string)manifest["files"]![0]!["xxh128"]!;
        var obj = Directory.EnumerateFiles(Path.Combine(cluster.S3Data, "fkd", space.Prefix, "files"), $"{hash}._S3rver_object", SearchOption.AllDirectories).Single();
        var bytes = File.ReadAllBytes(obj);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(obj, bytes);

        // A coordinator with an empty store pulls everything: the damaged object is refused and its stage computed again.
        var second = space.Cli("other", ["run", Full, "--distributed", "--json", .. Tiny]);
        Assert.True(second.Exit == 0, second.Tail + space.WorkerLog("w1"));
        Assert.Contains("unusable", second.Stderr);
        var st = Statuses(second);
        Assert.Equal("computed", st["augment"]);
        Assert.All(st.Where(p => p.Key != "augment"), p => Assert.Equal("cached", p.Value));
        AssertSameFiles(Path.Combine(space.StoreOf("coord"), "entries", augmentKey[..2], augmentKey), Path.Combine(space.StoreOf("other"), "entries", augmentKey[..2], augmentKey));
        Assert.Equal(bytes.Length, new FileInfo(obj).Length);
        Assert.NotEqual(bytes, File.ReadAllBytes(obj)); // uploaded again, whole
    }

    [ClusterFact]
    public async Task Two_coordinators_on_overlapping_pipelines_share_the_work_each_key_computed_once()
    {
        using var space = cluster.NewSpace("two");
        space.StartWorker("w1");
        space.StartWorker("w2");
        var a = Task.Run(() => space.Cli("a", ["run", Full, "--distributed", "--json", .. Tiny]));
        var b = Task.Run(() => space.Cli("b", ["run", Full, "--distributed", "--json", .. Tiny, "--set", "train.learning_rate=0.001"]));
        var ra = await a;
        var rb = await b;
        Assert.True(ra.Exit == 0, ra.Tail);
        Assert.True(rb.Exit == 0, rb.Tail);
        var shared = Keys(ra).Where(p => Keys(rb)[p.Key] == p.Value).Select(p => p.Value).ToList();
        Assert.Contains(Keys(ra)["augment"], shared);
        Assert.DoesNotContain(Keys(ra)["train"], Keys(rb).Values);
        // Each shared key was computed by one job: the workers' logs hold one commit line per key.
        var logs = space.WorkerLog("w1") + space.WorkerLog("w2");
        foreach (var key in Keys(ra).Values.Concat(Keys(rb).Values).Distinct())
            Assert.Equal(1, CountOf(logs, $" {key[..12]} to s3://"));
        var computed = Stages(ra).Concat(Stages(rb)).Where(s => (string)s!["status"]! == "computed").Select(s => (string)s!["key"]!).ToList();
        Assert.Equal(computed.Count, computed.Distinct().Count());
    }

    [ClusterFact]
    public void A_stage_failing_on_bad_input_fails_the_distributed_run_with_the_local_error_and_is_not_retried()
    {
        using var space = cluster.NewSpace("bad");
        space.StartWorker("w1");
        var bad = Path.Combine(space.Root, "training.csv");
        File.WriteAllText(bad, "left_eye_center_x,Image\n66.0,1 2 3\n");
        string[] args = ["run", Full, "--set", $"faces.train={bad}", .. Tiny];
        var local = CliProcess.Run(null, ["--store", space.StoreOf("local"), .. args]);
        Assert.Equal(1, local.Exit);
        var dist = space.Cli("coord", [.. args, "--distributed"]);
        Assert.Equal(1, dist.Exit);
        string Error(CliProcess.Result r) => r.Stderr.Split('\n').Last(l => l.StartsWith("error: ", StringComparison.Ordinal));
        output.WriteLine(Error(local));
        Assert.Equal(Error(local), Error(dist));
        Assert.DoesNotContain("   at ", dist.Stderr);

        // The job failed once and stays failed: Hangfire does not try it again.
        Thread.Sleep(3000);
        var jobs = space.Query("SELECT j.statename, (SELECT count(*) FROM hangfire.state s WHERE s.jobid = j.id AND s.name = 'Processing') FROM hangfire.job j");
        var failed = jobs.Where(j => (string?)j[0] == "Failed").ToList();
        Assert.Single(failed);
        Assert.Equal(1L, failed[0][1]);
    }

    [ClusterFact]
    public async Task A_coordinator_warns_when_no_worker_serves_a_queue_it_needs()
    {
        using var space = cluster.NewSpace("idle");
        using var p = CliProcess.Start(space.Env(), ["--store", space.StoreOf("coord"), "run", Full, "--distributed", .. Tiny]);
        var err = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is { } l) lock (err) err.AppendLine(l); };
        p.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until && !err.ToString().Contains("No worker serves queue cpu")) await Task.Delay(200);
        p.Kill(entireProcessTree: true);
        Assert.Contains("No worker serves queue cpu", err.ToString());
        Assert.Contains("worker --queues cpu", err.ToString());
    }

    private static int CountOf(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Every file of two entries byte for byte (the manifests differ: when, and how long).</summary>
    private static void AssertSameFiles(string a, string b)
    {
        var names = Directory.GetFiles(a).Select(Path.GetFileName).Where(n => n != "manifest.json").Order().ToList();
        Assert.NotEmpty(names);
        Assert.Equal(names, Directory.GetFiles(b).Select(Path.GetFileName).Where(n => n != "manifest.json").Order().ToList());
        foreach (var n in names)
            Assert.True(File.ReadAllBytes(Path.Combine(a, n!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, n!))), $"{n} differs between {a} and {b}");
    }
}
