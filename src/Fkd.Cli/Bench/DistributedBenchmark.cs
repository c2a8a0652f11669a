using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Fkd.Cli.Bench;

/// <summary>
/// `bench distributed`: a cluster on this machine (deploy/local-cluster.sh: PostgreSQL, s3rver) and CLI workers,
/// each taking one job at a time with one torch thread. Eight independent trainings (the same data, eight seeds)
/// run on 1 worker, then eight others on 2 workers: the value is the 2-worker wall time, the peer the 1-worker
/// one, so the ratio is the speed-up. Also: the engine's overhead per job on 1 worker (the run's wall time less
/// the stages' own seconds, per job) and the wall time of a no-op distributed rerun of pipelines/full.json.
/// </summary>
public static class DistributedBenchmark
{
    public const int Trainings = 8;

    public static string PipelineJson(int[] seeds, int epochs) => $$"""
        {
          "name": "bench-distributed",
          "stages": {
            "faces": { "kind": "kaggle-source", "params": { "train_rows": 240, "test_rows": 10, "seed": 42 } },
            "train_rows": { "kind": "parse-kaggle", "inputs": { "csv": "faces/training.csv" } },
            "split": { "kind": "split", "inputs": { "faces": "train_rows/faces.parquet" }, "params": { "val_fraction": 0.15, "seed": 1 } },
            "augment": { "kind": "augment", "inputs": { "faces": "split/train.parquet" }, "params": { "flip": true, "rotations": [-9, 9], "combine": "single" } },
            "train": {
              "foreach": { "seed": [{{string.Join(", ", seeds)}}] },
              "kind": "train", "inputs": { "train": "augment/faces.parquet", "val": "split/val.parquet" },
              "params": { "model": "cnn-small", "epochs": {{epochs}}, "batch_size": 64, "threads": 1 }
            }
          }
        }
        """;

    public static BenchReport Run(BenchSettings s, CancellationToken ct)
    {
        var root = RepoRoot() ?? throw new InvalidOperationException("bench distributed starts its cluster with deploy/local-cluster.sh: run it from a build inside the repository");
        var epochs = s.Quick ? 1 : 3;
        var repeats = s.RepeatsOr(5, 3);
        var (dotnet, dll) = ChildRun.Cli;
        var dir = Directory.CreateTempSubdirectory("fkd-bench-distributed-").FullName;
        var state = Path.Combine(dir, "cluster");
        var workers = new List<Process>();
        var workerLines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        try
        {
            var env = Up(root, state, ct);
            Process Worker(string name)
            {
                var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in new[] { dll, "--store", Path.Combine(dir, name), "worker", "--name", name, "--slots", "1" }) psi.ArgumentList.Add(a);
                foreach (var (k, v) in env) psi.Environment[k] = v;
                var p = Process.Start(psi)!;
                p.OutputDataReceived += (_, _) => { };
                p.ErrorDataReceived += (_, e) => { if (e.Data is { } l) workerLines.Enqueue(l); };
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                workers.Add(p);
                return p;
            }
            ChildRun Run(string pipeline, string store, params string[] extra) =>
                ChildRun.Run(dotnet, [dll, "--store", Path.Combine(dir, store), "run", pipeline, "--distributed", "--json", .. extra], dir, env, ct);
            string Pipeline(string name, int[] seeds)
            {
                var path = Path.Combine(dir, name + ".json");
                File.WriteAllText(path, PipelineJson(seeds, epochs));
                return path;
            }
            static ChildRun Ok(ChildRun r, string what) =>
                r.ExitCode == 0 && r.Json?["ok"]?.GetValue<bool>() == true ? r
                : throw new InvalidOperationException($"bench distributed: {what} failed (exit {r.ExitCode}): {r.Stderr.Trim().Split('\n').LastOrDefault()}");

            Worker("w1");
            // The data stages once, so that both measured runs are eight trainings and nothing else.
            Ok(Run(Pipeline("warm", [100]), "coord"), "the warm-up run");
            var one = Ok(Run(Pipeline("one", [.. Enumerable.Range(0, Trainings)]), "coord"), "the 1-worker run");
            Worker("w2");
            var two = Ok(Run(Pipeline("two", [.. Enumerable.Range(10, Trainings)]), "coord"), "the 2-worker run");

            double StageSeconds(ChildRun r) => r.Json!["stages"]!.AsArray().Where(x => (string)x!["status"]! == "computed").Sum(x => (double)x!["seconds"]!);
            int Computed(ChildRun r) => r.Json!["stages"]!.AsArray().Count(x => (string)x!["status"]! == "computed");
            var workersOfTwo = two.Json!["stages"]!.AsArray().Where(x => (string)x!["status"]! == "computed").Select(x => (string?)x!["worker"]).Distinct().ToList();
            if (Computed(one) != Trainings || Computed(two) != Trainings)
                throw new InvalidOperationException($"bench distributed: expected {Trainings} trainings computed in each run, found {Computed(one)} and {Computed(two)}");
            var perJob = JobOverhead(env["FKD_DB"], one);
            // What the workers said each training's upload to the shared store took (moving bytes, not engine work).
            var pushMs = workerLines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"Committed train-\d+ .* push (\d+) ms")).Where(m => m.Success)
                .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            var push = pushMs.Count > 0 ? pushMs.Average() / 1000 : 0;
            var overhead = perJob - push;

            // The machine's own ceiling for two one-thread trainings at once: the same eight trainings in one local
            // process, one at a time and two at a time (no cluster, no engine beyond the local executor).
            ChildRun Local(string pipeline, int jobs) =>
                Ok(ChildRun.Run(dotnet, [dll, "--store", Path.Combine(dir, "local"), "run", pipeline, "--json", "--jobs", jobs.ToString(CultureInfo.InvariantCulture)], dir, null, ct), $"the local --jobs {jobs} run");
            Local(Pipeline("local-warm", [100]), 1);
            var localOne = Local(Pipeline("local-one", [.. Enumerable.Range(20, Trainings)]), 1);
            var localTwo = Local(Pipeline("local-two", [.. Enumerable.Range(30, Trainings)]), 2);

            // A no-op rerun of full.json: computed once (tiny), then rerun from the same coordinator store.
            var full = Path.Combine(root, "pipelines", "full.json");
            string[] tiny = ["--set", "faces.train_rows=240", "--set", "faces.test_rows=12", "--set", "train.epochs=1", "--set", "train.threads=1"];
            Ok(Run(full, "full", tiny), "the first run of full.json");
            var noop = new List<double>();
            for (var i = 0; i < repeats; i++)
            {
                var r = Ok(Run(full, "full", tiny), "a rerun of full.json");
                if (r.Json!["stages"]!.AsArray().Any(x => (string)x!["status"]! != "cached"))
                    throw new InvalidOperationException("bench distributed: a rerun of full.json computed something");
                noop.Add(r.Seconds);
            }
            var peer = new PeerResult("1 worker", Math.Round(one.Seconds, 2), null, null);
            var details = new JsonObject
            {
                ["trainings"] = Trainings,
                ["epochs"] = epochs,
                ["one_worker_seconds"] = Math.Round(one.Seconds, 2),
                ["two_workers_seconds"] = Math.Round(two.Seconds, 2),
                ["speedup"] = Math.Round(one.Seconds / two.Seconds, 3),
                ["speedup_goal"] = 1.8,
                ["local_jobs1_seconds"] = Math.Round(localOne.Seconds, 2),
                ["local_jobs2_seconds"] = Math.Round(localTwo.Seconds, 2),
                ["local_speedup"] = Math.Round(localOne.Seconds / localTwo.Seconds, 3),
                ["local_measures"] = "the machine's own ceiling: the same kind of 8 trainings (other seeds) in one local `run`, --jobs 1 vs --jobs 2",
                ["workers_used_by_two"] = new JsonArray([.. workersOfTwo.Select(w => (JsonNode?)w)]),
                ["training_seconds_one_worker"] = Math.Round(StageSeconds(one), 2),
                // Equal to the line above when the two workers really had a core each; larger when something else took CPU.
                ["training_seconds_two_workers"] = Math.Round(StageSeconds(two), 2),
                ["load_average_after"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
                ["overhead_ms_per_job"] = Math.Round(overhead * 1000, 1),
                ["push_ms_per_job"] = Math.Round(push * 1000, 1),
                ["job_ms_beyond_stage_incl_push"] = Math.Round(perJob * 1000, 1),
                ["overhead_goal_ms"] = 100,
                ["noop_rerun_full_seconds"] = Ratios.Array(noop),
                ["noop_rerun_full_median_seconds"] = Math.Round(Ratios.Median(noop), 3),
                ["noop_goal_seconds"] = 1.5,
                ["ours_measures"] = $"wall time of `run --distributed` (a child process) of {Trainings} independent trainings (cnn-small, {epochs} epochs, 1 torch thread, 1,212 images) on 2 workers with one slot each",
                ["peer_measures"] = "the same on 1 worker (other seeds, so nothing is cached); ratio = speed-up",
                ["overhead_measures"] = "per training job on 1 worker, from Hangfire's state times: from the later of its enqueue and the previous job's end to its own end, less the stage's own seconds and less the upload of its entry to the shared store (push_ms_per_job, as the worker logged it): dispatch, status updates, key lock, planning, fetching inputs, local commit, commit record",
                ["run_overhead_seconds_one_worker"] = Math.Round(one.Seconds - StageSeconds(one), 2),
                ["machine"] = $"{Environment.ProcessorCount} cores",
            };
            return BenchReport.Combine("distributed", Math.Round(two.Seconds, 2), "s", peer, higherIsBetter: false, details);
        }
        finally
        {
            foreach (var w in workers) { try { w.Kill(entireProcessTree: true); w.WaitForExit(5000); } catch (InvalidOperationException) { } }
            try { Script(root, state, ["down", "--purge"], CancellationToken.None); } catch (InvalidOperationException) { }
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Mean engine time per job of a run, in seconds, from the database: see the report's overhead_measures.</summary>
    private static double JobOverhead(string db, ChildRun run)
    {
        var keys = run.Json!["stages"]!.AsArray().Where(x => (string)x!["status"]! == "computed").ToDictionary(x => (string)x!["key"]!, x => (double)x!["seconds"]!);
        using var c = new Npgsql.NpgsqlConnection(db);
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand("""
            SELECT j.key,
                   (SELECT min(s.createdat) FROM hangfire.state s WHERE s.jobid = j.job_id::bigint AND s.name = 'Enqueued'),
                   (SELECT max(s.createdat) FROM hangfire.state s WHERE s.jobid = j.job_id::bigint AND s.name = 'Succeeded')
            FROM fkd.jobs j WHERE j.key = ANY(@k)
            """, c);
        cmd.Parameters.AddWithValue("k", keys.Keys.ToArray());
        var rows = new List<(string Key, DateTime Enqueued, DateTime Done)>();
        using (var r = cmd.ExecuteReader())
            while (r.Read()) rows.Add((r.GetString(0), r.GetDateTime(1), r.GetDateTime(2)));
        if (rows.Count != keys.Count) throw new InvalidOperationException($"bench distributed: found {rows.Count} of {keys.Count} jobs in the database");
        var total = 0.0;
        DateTime? previous = null;
        foreach (var (key, enqueued, done) in rows.OrderBy(x => x.Done))
        {
            var start = previous is { } p && p > enqueued ? p : enqueued;
            total += (done - start).TotalSeconds - keys[key];
            previous = done;
        }
        return total / rows.Count;
    }

    private static Dictionary<string, string> Up(string root, string state, CancellationToken ct)
    {
        var r = Script(root, state, ["up", "--workers", "0", "--watch", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)], ct);
        return Cluster.LocalClusterExports.Parse(r);
    }

    private static string Script(string root, string state, string[] args, CancellationToken ct)
    {
        var r = ChildRun.Run("bash", [Path.Combine(root, "deploy", "local-cluster.sh"), .. args], root, new Dictionary<string, string> { ["FKD_CLUSTER_DIR"] = state }, ct);
        if (r.ExitCode != 0) throw new InvalidOperationException($"bench distributed: local-cluster.sh {args[0]} failed: {r.Stderr.Trim()}");
        return File.Exists(Path.Combine(state, "env")) && args[0] == "up" ? File.ReadAllText(Path.Combine(state, "env")) : "";
    }

    private static string? RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Fkd.Flow.sln")) && File.Exists(Path.Combine(d.FullName, "deploy", "local-cluster.sh"))) return d.FullName;
        return null;
    }
}
