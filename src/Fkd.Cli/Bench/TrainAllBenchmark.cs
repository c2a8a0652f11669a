using System.Globalization;
using System.Text.Json.Nodes;
using Fkd.Stages.Train;

namespace Fkd.Cli.Bench;

/// <summary>
/// `bench train --all`: every model's training images/s three ways, on the same number of synthetic faces (more for a
/// fast model, so that an epoch lasts a few seconds),
/// batch 64, 2 threads, CPU, epochs after the first: in the benchmark (<see cref="Trainer.Train"/> on this
/// process's main thread, images in memory), in a pipeline (a child `fkd run` of source, parse and train, the
/// train stage reading its pixel file on a pool thread, as every real run does; from the stage's epoch_seconds),
/// and in PyTorch on the same layers. The two of ours should agree: a gap is a cost of the pipeline. This machine's
/// speed drifts by 10-20% between minutes, so the two are measured in turns (bench, pipeline, bench, pipeline, ...:
/// <c>--repeats</c> rounds, 2 by default) and each figure is the median of its rounds' epochs, so a slow minute
/// weighs on both alike.
/// ResNeXt-101 is left out: a definition, not for CPU training (bench train --model resnext101 measures it).
/// </summary>
public static class TrainAllBenchmark
{
    public static readonly IReadOnlyDictionary<string, string> Skipped = new Dictionary<string, string>
    {
        ["resnext101"] = "a definition at 86.8 M parameters, not for CPU training; bench train --model resnext101 measures it alone",
    };

    /// <summary>
    /// The models to measure: every model but the skipped ones, or those of a comma-separated list (`--model
    /// naimishnet,resnet18`) in its order, a skipped one included when named. Unknown or repeated names are usage errors.
    /// </summary>
    public static IReadOnlyList<string> Models(string? list)
    {
        if (list is null) return [.. Fkd.Stages.Torch.ModelFactory.Names.Where(m => !Skipped.ContainsKey(m))];
        var names = list.Split(',', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0))
            throw new UsageException($"--model '{list}' has an empty name (expected model names separated by commas)");
        foreach (var n in names) TrainBenchmark.CheckModel(n);
        if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UsageException($"--model names '{twice.Key}' twice");
        return names;
    }

    public static BenchReport Run(BenchSettings s, IPeerRunner peer, CancellationToken ct)
    {
        var images = s.Quick ? 128 : 192;
        var epochSeconds = s.Quick ? 1.5 : 4.0;
        var epochs = s.Quick ? 2 : 3;                 // the first of each is warm-up
        var rounds = s.RepeatsOr(2, 1);
        var models = Models(s.Model);
        var sets = new Dictionary<int, TrainingSet> { [images] = TrainBenchmark.MakeSet(images) };
        var dir = Directory.CreateTempSubdirectory("fkd-bench-train-all-");
        var rows = new List<Row>();
        try
        {
            var pipeline = WritePipeline(dir.FullName);
            System.Console.Error.WriteLine($"{"model",-13} {"params",12} {"images",6} {"bench",8} {"pipeline",9} {"pipe/bench",10} {"pytorch",8} {"ours/pytorch",12}");
            foreach (var model in models)
            {
                ct.ThrowIfCancellationRequested();
                var parameters = TrainBenchmark.Parameters(model, Fkd.Stages.Faces.Keypoints.CoordCount);
                // A fast model gets more images, so that an epoch lasts long enough to time (a few batches of a small
                // model take tens of milliseconds, where start-up and the clock's grain would decide the figure).
                var probe = Ratios.Median(TrainBenchmark.InBench(model, sets[images], 2, Path.Combine(dir.FullName, "probe-" + model), ct));
                var n = ImagesFor(probe, images, epochSeconds);
                if (!sets.TryGetValue(n, out var set)) sets[n] = set = TrainBenchmark.MakeSet(n);
                var benchRates = new List<double>();
                var pipelineRates = new List<double>();
                for (var round = 0; round < rounds; round++)
                {
                    benchRates.AddRange(TrainBenchmark.InBench(model, set, epochs, Path.Combine(dir.FullName, $"ckpt-{model}-{round}"), ct));
                    pipelineRates.AddRange(InPipeline(pipeline, Path.Combine(dir.FullName, "store"), model, n, epochs, force: round > 0, ct));
                }
                var torch = TrainBenchmark.PyTorch(peer, model, n, epochs, parameters);
                var row = new Row(model, parameters, n, Ratios.Median(benchRates), Ratios.Median(pipelineRates), torch, benchRates, pipelineRates);
                rows.Add(row);
                System.Console.Error.WriteLine(row.Text());
            }
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        // The headline: our in-pipeline speed against PyTorch's over the models both ran (geometric means).
        var both = rows.Where(r => r.PyTorch.Absent is null && r.PyTorch.Value is > 0).ToArray();
        var ours = GeoMean(both.Select(r => r.Pipeline));
        var theirs = GeoMean(both.Select(r => r.PyTorch.Value!.Value));
        var peerResult = both.Length == 0
            ? PeerResult.Missing("pytorch", rows.Select(r => r.PyTorch.Absent).FirstOrDefault(a => a is not null) ?? "no model ran")
            : new PeerResult($"pytorch (geometric mean over {both.Length} models)", theirs, null, null);
        var agreement = rows.Select(r => r.Pipeline / r.Bench).ToArray();
        var details = new JsonObject
        {
            ["images_at_least"] = images,
            ["epoch_seconds_aimed_at"] = epochSeconds,
            ["batch_size"] = TrainBenchmark.BatchSize,
            ["threads"] = TrainBenchmark.Threads,
            ["epochs"] = epochs,
            ["warm_up_epochs"] = 1,
            ["rounds"] = rounds,
            ["models"] = new JsonArray([.. rows.Select(r => (JsonNode)r.Json())]),
            ["pipeline_over_bench_min"] = Math.Round(agreement.Min(), 3),
            ["pipeline_over_bench_max"] = Math.Round(agreement.Max(), 3),
            ["skipped"] = new JsonObject([.. Skipped.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
            ["value_is"] = "geometric mean of our in-pipeline images/s over the models PyTorch also ran; peer_value: PyTorch's over the same models",
            ["bench_measures"] = TrainBenchmark.OursMeasures + "; images in memory, on the benchmark's main thread",
            ["pipeline_measures"] = "a child `fkd run` of kaggle-source (synthetic, the same number of rows), parse-kaggle and train with the same options; images/s = the stage's rows / its epoch_seconds, epochs after the first",
            ["peer_measures"] = TrainBenchmark.PeerMeasures,
        };
        PeerBlas.AddTo(details, rows.Select(r => r.PyTorch.Output));
        return BenchReport.Combine("train-all", Math.Round(both.Length == 0 ? GeoMean(rows.Select(r => r.Pipeline)) : ours, 1), "images/s",
            peerResult, higherIsBetter: true, details);
    }

    /// <summary>Images for an epoch of about <paramref name="seconds"/> at <paramref name="rate"/> images/s: whole batches, at least
    /// <paramref name="least"/>, at most <see cref="MostImages"/>.</summary>
    public static int ImagesFor(double rate, int least, double seconds)
    {
        var batches = (int)Math.Ceiling(rate * seconds / TrainBenchmark.BatchSize);
        return Math.Clamp(batches * TrainBenchmark.BatchSize, least, MostImages);
    }

    /// <summary>The most images a model gets: the pipeline writes them as a Kaggle CSV (~35 KB a face) and parses it. At
    /// 4,096 mlp's epochs (7,700 images/s) lasted half a second, and its in-pipeline figure came out 0.80 of the bench's.</summary>
    public const int MostImages = 16_384;

    private sealed record Row(string Model, long Parameters, int Images, double Bench, double Pipeline, PeerResult PyTorch,
        IReadOnlyList<double> BenchEpochs, IReadOnlyList<double> PipelineEpochs)
    {
        public double? OursOverPyTorch => Ratios.Of(Pipeline, PyTorch.Absent is null ? PyTorch.Value : null, higherIsBetter: true);

        public JsonObject Json() => new()
        {
            ["model"] = Model,
            ["parameters"] = Parameters,
            ["images"] = Images,
            ["in_bench"] = Math.Round(Bench, 1),
            ["in_pipeline"] = Math.Round(Pipeline, 1),
            ["in_bench_by_epoch"] = Ratios.Array(BenchEpochs),
            ["in_pipeline_by_epoch"] = Ratios.Array(PipelineEpochs),
            ["pipeline_over_bench"] = Math.Round(Pipeline / Bench, 3),
            ["pytorch"] = PyTorch.Absent is null && PyTorch.Value is { } v ? Math.Round(v, 1) : null,
            ["pytorch_absent"] = PyTorch.Absent,
            ["pytorch_blas"] = PeerBlas.Of([PyTorch.Output]).FirstOrDefault(),
            ["ours_over_pytorch"] = OursOverPyTorch is { } r ? Math.Round(r, 3) : null,
        };

        public string Text() => string.Create(CultureInfo.InvariantCulture,
            $"{Model,-13} {Parameters,12:N0} {Images,6} {Bench,8:F1} {Pipeline,9:F1} {Pipeline / Bench,10:F2} {(PyTorch.Absent is null ? PyTorch.Value?.ToString("F1", CultureInfo.InvariantCulture) : "absent"),8} {(OursOverPyTorch is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : "n/a"),12}");
    }

    private static double GeoMean(IEnumerable<double> values)
    {
        var a = values.Where(v => v > 0 && double.IsFinite(v)).ToArray();
        return a.Length == 0 ? double.NaN : Math.Exp(a.Average(Math.Log));
    }

    /// <summary>The pipeline each model runs in: the image count, model and epochs come in as --set overrides.</summary>
    private static string WritePipeline(string dir)
    {
        var path = Path.Combine(dir, "train-speed.json");
        var stages = new JsonObject
        {
            ["faces"] = new JsonObject { ["kind"] = "kaggle-source", ["params"] = new JsonObject { ["test_rows"] = 1, ["seed"] = 42 } },
            ["rows"] = new JsonObject { ["kind"] = "parse-kaggle", ["inputs"] = new JsonObject { ["csv"] = "faces/training.csv" } },
            ["train"] = new JsonObject
            {
                ["kind"] = "train",
                ["inputs"] = new JsonObject { ["train"] = "rows/faces.parquet" },
                ["params"] = new JsonObject
                {
                    ["batch_size"] = TrainBenchmark.BatchSize, ["threads"] = TrainBenchmark.Threads, ["device"] = "cpu",
                    ["schedule"] = "none", ["flip_tta"] = false,
                },
            },
        };
        File.WriteAllText(path, new JsonObject { ["name"] = "train-speed", ["description"] = "bench train --all: one training in a pipeline", ["stages"] = stages }.ToJsonString());
        return path;
    }

    /// <summary>Images/s of the train stage's epochs after the first, in a child `fkd run` (<paramref name="force"/>: train
    /// again what an earlier round stored).</summary>
    private static List<double> InPipeline(string pipeline, string store, string model, int images, int epochs, bool force, CancellationToken ct)
    {
        var (exe, dll) = ChildRun.Cli;
        string[] again = force ? ["--force", "train"] : [];
        var run = ChildRun.Run(exe, [dll, "run", pipeline, "--store", store, "--json",
            "--set", $"faces.train_rows={images.ToString(CultureInfo.InvariantCulture)}",
            "--set", $"train.model={model}", "--set", $"train.epochs={epochs.ToString(CultureInfo.InvariantCulture)}", .. again],
            Path.GetDirectoryName(pipeline)!, null, ct);
        var stage = run.Json?["stages"]?.AsArray().FirstOrDefault(x => x?["name"]?.GetValue<string>() == "train");
        if (run.ExitCode != 0 || stage?["path"]?.GetValue<string>() is not { } entry)
            throw new InvalidOperationException($"the pipeline run for {model} failed (exit {run.ExitCode}): {run.Stderr.Trim().Split('\n').LastOrDefault()}");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(entry, "manifest.json")))!;
        var trained = manifest["rows"]!.GetValue<long>();
        var seconds = manifest["facts"]!["epoch_seconds"]!.GetValue<string>()
            .Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        if (seconds.Length < 2) throw new InvalidOperationException($"the pipeline's train stage ran {seconds.Length} epoch(s); 2 or more are needed");
        return [.. seconds.Skip(1).Select(x => trained / x)];
    }
}
