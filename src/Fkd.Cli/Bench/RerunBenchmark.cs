using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fkd.Cli.Bench;

/// <summary>
/// `bench rerun`: wall time of a no-op rerun, as a user sees it: a child process `dotnet Fkd.Cli.dll run PIPELINE
/// --store TMP --json` on a small 8-stage pipeline (synthetic faces → parse ×2 → dedup → label-fix → split →
/// augment → train) whose outputs were all computed by a first run. Each rerun plans (keys from parameters and
/// input hashes), finds every stage cached and writes its run record. Peer: Snakemake's no-op of an 8-rule chain
/// of touch files.
/// </summary>
public static class RerunBenchmark
{
    public const int Stages = 8;

    public static string PipelineJson(int trainRows) => $$"""
        {
          "name": "bench-rerun",
          "description": "8 cheap stages for `fkd bench rerun`",
          "stages": {
            "faces": { "kind": "kaggle-source", "params": { "train_rows": {{trainRows}}, "test_rows": 10, "seed": 42 } },
            "train_rows": { "kind": "parse-kaggle", "inputs": { "csv": "faces/training.csv" } },
            "test_rows": { "kind": "parse-kaggle", "inputs": { "csv": "faces/test.csv" } },
            "dedup": { "kind": "dedup", "inputs": { "faces": "train_rows/faces.parquet", "test": "test_rows/faces.parquet" } },
            "labelfix": { "kind": "label-fix", "inputs": { "faces": "dedup/faces.parquet", "drop": "faces/drop.csv", "fixes": "faces/fixes.csv" } },
            "split": { "kind": "split", "inputs": { "faces": "labelfix/faces.parquet" }, "params": { "val_fraction": 0.15, "folds": 5, "seed": 1 } },
            "augment": { "kind": "augment", "inputs": { "faces": "split/train.parquet" }, "params": { "flip": true, "rotations": [-9, 9], "combine": "single" } },
            "train": { "kind": "train", "inputs": { "train": "augment/faces.parquet", "val": "split/val.parquet" }, "params": { "model": "mlp", "epochs": 1 } }
          }
        }
        """;

    public static BenchReport Run(BenchSettings s, IPeerRunner peer, CancellationToken ct)
    {
        var repeats = s.RepeatsOr(5, 3);
        var dll = typeof(RerunBenchmark).Assembly.Location;
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var dir = Directory.CreateTempSubdirectory("fkd-bench-rerun-");
        try
        {
            var pipeline = Path.Combine(dir.FullName, "pipeline.json");
            File.WriteAllText(pipeline, PipelineJson(100));
            var store = Path.Combine(dir.FullName, "store");
            string[] args = [dll, "run", pipeline, "--store", store, "--json"];

            var first = ChildRun.Run(dotnet, args, dir.FullName, null, ct);
            if (first.Json?["ok"]?.GetValue<bool>() != true)
                throw new InvalidOperationException($"bench rerun: the first run failed (exit {first.ExitCode}): {first.Stderr.Trim().Split('\n').LastOrDefault()}");
            var times = new List<double>();
            for (var i = 0; i < repeats; i++)
            {
                ct.ThrowIfCancellationRequested();
                var r = ChildRun.Run(dotnet, args, dir.FullName, null, ct);
                var stages = r.Json?["stages"]?.AsArray() ?? [];
                if (r.ExitCode != 0 || stages.Count != Stages || stages.Any(x => x?["status"]?.GetValue<string>() != "cached"))
                    throw new InvalidOperationException($"bench rerun: rerun {i + 1} was not a no-op (exit {r.ExitCode}).");
                times.Add(r.Seconds);
            }
            var median = Ratios.Median(times);
            var peerResult = Peers.Measure(peer, "snakemake", "snakemake_noop.py",
                [Stages.ToString(CultureInfo.InvariantCulture), repeats.ToString(CultureInfo.InvariantCulture)], "median_seconds", TimeSpan.FromMinutes(3));
            var details = new JsonObject
            {
                ["stages"] = Stages,
                ["repeats"] = repeats,
                ["first_run_seconds"] = Math.Round(first.Seconds, 3),
                ["seconds"] = Ratios.Array(times),
                ["command"] = "dotnet Fkd.Cli.dll run pipeline.json --store TMP --json",
                ["ours_measures"] = "wall time of a child process `dotnet Fkd.Cli.dll run` (runtime start-up, pipeline load and validation, planning with input hashes, run record written) on an 8-stage pipeline (synthetic faces, parse x2, dedup, label-fix, split, augment, train mlp 1 epoch) where every stage is cached",
                ["peer_measures"] = "wall time of a child process `snakemake -c1` (Python start-up, Snakefile parse, DAG by file timestamps) on an 8-rule chain of touch files, all up to date",
                ["peer_output"] = peerResult.Output?.DeepClone(),
            };
            return BenchReport.Combine("rerun", Math.Round(median, 4), "s", peerResult, higherIsBetter: false, details);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
