using System.Globalization;
using System.Text.Json.Nodes;
using Fkd.Cli.Commands;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;
using Fkd.Stages.Faces;
using Fkd.Stages.Torch;
using Fkd.Stages.Train;

namespace Fkd.Cli.Bench;

/// <summary>
/// `bench accuracy FOLDER`: our best single model against PyTorch trained the same way on the same data, both scored
/// on the holdout in one invocation. Ours: a child `fkd run` of pipelines/accuracy.json (embedded in this build) on
/// the faces-real folder's train.csv.gz, split by person, in the store (so a rerun reuses the training), CPU with 2
/// torch threads as the peer; its model scored on holdout.csv.gz by what `evaluate` runs. The peer
/// (bench/peers/torch_accuracy.py) gets our run's own training and validation images (the train stage's inputs,
/// augmented once by our augment stage) and the holdout, as raw files (<see cref="PeerData"/>), and the train stage's
/// parameters as it ran with them; it trains the same layers with the same recipe and scores the holdout the same way.
/// Value: our holdout RMSE in pixels; ratio ours / peer (below 1: ours is more accurate); the training times in details.
/// </summary>
public static class AccuracyBenchmark
{
    public static readonly IReadOnlyList<string> Files = ["train.csv.gz", "train_sources.csv", "holdout.csv.gz"];
    private const string PipelineResource = "pipelines/accuracy.json";
    private const string TrainStage = "train";

    /// <summary>Ours trains as the peer does: on the CPU, with this many torch threads (whatever the machine has).</summary>
    public const int Threads = TrainBenchmark.Threads;

    /// <summary>The folder's full path, or a usage error saying what is missing.</summary>
    public static string CheckFolder(string? folder)
    {
        if (folder is null)
            throw new UsageException($"bench accuracy needs a faces-real folder (holding {string.Join(", ", Files)}): fkd bench accuracy FOLDER");
        if (!Directory.Exists(folder)) throw new UsageException($"bench accuracy: no folder '{folder}'");
        var missing = Files.Where(f => !File.Exists(Path.Combine(folder, f))).ToArray();
        if (missing.Length > 0)
            throw new UsageException($"bench accuracy: '{folder}' is not a faces-real folder: no {string.Join(", ", missing)}");
        return Path.GetFullPath(folder);
    }

    /// <summary>pipelines/accuracy.json as this build holds it, and its train stage's model and epochs (the defaults here).</summary>
    public static (string Json, string Model, int Epochs) Pipeline()
    {
        using var s = typeof(AccuracyBenchmark).Assembly.GetManifestResourceStream(PipelineResource)
            ?? throw new InvalidOperationException($"{PipelineResource} is not embedded in this build");
        var json = new StreamReader(s).ReadToEnd();
        var train = JsonNode.Parse(json)!["stages"]![TrainStage]!["params"]!;
        return (json, train["model"]!.GetValue<string>(), train["epochs"]!.GetValue<int>());
    }

    public static BenchReport Run(BenchSettings s, IPeerRunner peer, CancellationToken ct)
    {
        var data = CheckFolder(s.Data);
        var pipeline = Pipeline();
        var modelName = s.Model ?? pipeline.Model;
        TrainBenchmark.CheckModel(modelName);
        var epochs = s.Epochs ?? pipeline.Epochs;
        if (epochs < 1) throw new UsageException("--epochs must be at least 1");
        var store = new ArtifactStore(Path.GetFullPath(s.Store ?? "artifacts"));
        var dir = Directory.CreateTempSubdirectory("fkd-bench-accuracy-").FullName;
        try
        {
            var ours = Ours(pipeline.Json, data, store, modelName, epochs, dir, ct);
            var export = Path.Combine(dir, "peer");
            Directory.CreateDirectory(export);
            var written = Export(ours, store, export, ct);
            System.Console.Error.WriteLine($"peer: PyTorch on the same {written[0].Rows:N0} training and {written[1].Rows:N0} validation images, {epochs} epoch(s)...");
            // A generous limit: PyTorch at a tenth of our speed still finishes.
            var timeout = TimeSpan.FromSeconds(Math.Max(600, 10 * ours.TrainSeconds + 300));
            var torch = Peers.Measure(peer, "PyTorch", "torch_accuracy.py", [export], "holdout_rmse", timeout);
            var peerParams = torch.Output?["parameters"]?.GetValue<long>();
            if (peerParams is { } pp && pp != ours.Model.Info.Parameters)
                torch = PeerResult.Missing("PyTorch", $"its {modelName} has {pp:N0} parameters, ours {ours.Model.Info.Parameters:N0}: not the same architecture");
            else if (torch.Absent is null && torch.Output?["torch"]?.GetValue<string>() is { } version)
                torch = torch with { Name = $"PyTorch {version}" };
            var report = Report(ours, written, torch, epochs);
            System.Console.Error.Write(Table(report, ours, written, torch));
            return report;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Our side: the run, its train stage's manifest and parameters, and the holdout scored as `evaluate` scores it.</summary>
    private sealed record OursResult(string RunId, bool Reused, Manifest Train, TrainParams Params, double[] EpochSeconds,
        Evaluation Holdout, string HoldoutPath)
    {
        public RunModel Model => Holdout.Model;
        public double TrainSeconds => EpochSeconds.Sum();
    }

    private static OursResult Ours(string pipelineJson, string data, ArtifactStore store, string model, int epochs, string dir, CancellationToken ct)
    {
        var pipeline = Path.Combine(dir, "accuracy.json");
        File.WriteAllText(pipeline, Upstream(pipelineJson, TrainStage));
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        System.Console.Error.WriteLine($"ours: fkd run pipelines/accuracy.json ({model}, {epochs} epoch(s), cpu, {Threads} threads) in {store.Root}...");
        var (exe, dll) = ChildRun.Cli;
        var trainParams = JsonNode.Parse(pipelineJson)!["stages"]![TrainStage]!["params"] as JsonObject ?? [];
        var torchSets = TorchSets(trainParams, TorchGate.Resolve, TorchRuntime.DeviceName).SelectMany(x => new[] { "--set", x });
        var run = ChildRun.Run(exe, [dll, "--store", store.Root, "run", pipeline, "--json",
            "--set", $"faces.train={Path.Combine(data, "train.csv.gz")}", "--set", $"split.groups={Path.Combine(data, "train_sources.csv")}",
            "--set", $"{TrainStage}.epochs={I(epochs)}", "--set", $"{TrainStage}.model={model}", .. torchSets], dir, null, ct);
        if (run.ExitCode != 0 || run.Json?["ok"]?.GetValue<bool>() != true || run.Json["run"]?.GetValue<string>() is not { } runId)
            throw new InvalidOperationException($"bench accuracy: our pipeline run failed (exit {run.ExitCode}): {run.Stderr.Trim().Split('\n').LastOrDefault()}");
        var stage = run.Json["stages"]!.AsArray().First(x => x?["name"]?.GetValue<string>() == TrainStage)!;
        var holdout = Path.Combine(data, "holdout.csv.gz");
        var scored = EvaluateCommand.Score(store, runId, TrainStage, holdout, TorchDevice.Auto);
        var manifest = store.EntryManifest(scored.Model.Key).Match(m => m, () => throw new InvalidOperationException($"entry {scored.Model.Key[..12]} of stage {TrainStage} is no longer in the store"));
        // The parameters the stage ran with: its key material holds every one, defaults filled in.
        var checkedParams = JsonNode.Parse(manifest.Material.Params)!.AsObject().ToDictionary(p => p.Key, p => p.Value);
        var o = ParamSchema.Of<TrainParams>().Bind<TrainParams>(checkedParams);
        var seconds = manifest.Facts.TryGetValue("epoch_seconds", out var es) && es.Length > 0
            ? es.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray() : [];
        var reused = stage["status"]?.GetValue<string>() != "computed";
        System.Console.Error.WriteLine($"ours: run {runId}, training {(reused ? "reused from the store" : "computed")}, {seconds.Sum():F1} s over {seconds.Length} epoch(s)");
        return new OursResult(runId, reused, manifest, o, seconds, scored, holdout);
    }

    /// <summary>
    /// The `--set` values that make our train stage run as the peer does (the CPU, <see cref="Threads"/> threads), only
    /// where the pipeline's own value would not resolve to that on this machine: a value that resolves the same stays as
    /// written, so the stage keeps its key and the training a run of the pipeline itself made (bench/accuracy.sh) is
    /// reused instead of trained again for a parameter that changes nothing here.
    /// </summary>
    public static IReadOnlyList<string> TorchSets(JsonObject trainParams, Func<int, int> resolveThreads, Func<TorchDevice, string> deviceName)
    {
        var threads = trainParams["threads"]?.GetValue<int>() ?? 0;
        var device = trainParams["device"]?.GetValue<string>() is { } d ? Enum.Parse<TorchDevice>(d, ignoreCase: true) : TorchDevice.Auto;
        var sets = new List<string>();
        if (resolveThreads(threads) != Threads) sets.Add($"{TrainStage}.threads={Threads.ToString(CultureInfo.InvariantCulture)}");
        // cuda is overridden without asking where it resolves: on a machine without CUDA, resolving it is an error.
        if (device == TorchDevice.Cuda || deviceName(device) != "cpu") sets.Add($"{TrainStage}.device=cpu");
        return sets;
    }

    /// <summary>
    /// The pipeline cut down to <paramref name="stage"/> and what it reads, directly or not: the bench compares the
    /// validated recipe (the train stage, which picks its best epoch on the validation split), so accuracy.json's
    /// train_all, the same recipe on every face, does not run here.
    /// </summary>
    public static string Upstream(string pipelineJson, string stage)
    {
        var root = JsonNode.Parse(pipelineJson)!.AsObject();
        var stages = root["stages"]!.AsObject();
        var keep = new HashSet<string>();
        var todo = new Stack<string>([stage]);
        while (todo.TryPop(out var name))
        {
            if (!keep.Add(name)) continue;
            var inputs = stages[name]?["inputs"] as JsonObject;
            foreach (var value in inputs?.Select(i => i.Value) ?? [])
                foreach (var r in value is JsonArray a ? a.Select(x => x!.GetValue<string>()) : [value!.GetValue<string>()])
                    if (r.Split('/')[0] is var producer && stages.ContainsKey(producer)) todo.Push(producer);
        }
        foreach (var name in stages.Select(s => s.Key).Where(n => !keep.Contains(n)).ToList()) stages.Remove(name);
        return root.ToJsonString();
    }

    /// <summary>The train stage's training and validation sets, as it made them, and the holdout, for the peer.</summary>
    private static IReadOnlyList<PeerData.Written> Export(OursResult ours, ArtifactStore store, string dir, CancellationToken ct)
    {
        var o = ours.Params;
        string Input(string name) => ScoredFaces.InputFile(store, ours.Train, name)
            ?? throw new InvalidOperationException($"the train stage of run {ours.RunId} has no '{name}' input to hand the peer");
        var train = PeerData.WriteTableAsync(Input("train"), o, dir, "train", ct).GetAwaiter().GetResult();
        var valRows = FaceTable.ReadAsync(Input("val"), ct).GetAwaiter().GetResult();
        var val = PeerData.Write(TrainingData.ToSet(TrainingData.Select(valRows, o.Targets), o.Targets), dir, "val");
        var holdout = PeerData.Write(TrainingData.ToSet(ours.Holdout.Rows, o.Targets), dir, "holdout");
        var outputs = ours.Model.Info.Outputs;
        var meta = PeerData.Meta([train, val, holdout], outputs, o.FlipTta ? Predictor.FlipMap(outputs) : null, Recipe(ours));
        File.WriteAllText(Path.Combine(dir, PeerData.MetaFile), meta.ToJsonString());
        return [train, val, holdout];
    }

    /// <summary>The train stage's parameters as it ran with them (names as in a pipeline), its thread count and device resolved, and the model's parameter count.</summary>
    private static JsonObject Recipe(OursResult ours) =>
        new([.. ParamSchema.Of<TrainParams>().ToJson(ours.Params).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.DeepClone()))])
        {
            ["threads"] = TorchGate.Resolve(ours.Params.Threads),
            ["device"] = TorchRuntime.DeviceName(ours.Params.Device),
            ["parameters"] = ours.Model.Info.Parameters,
        };

    private static BenchReport Report(OursResult ours, IReadOnlyList<PeerData.Written> sets, PeerResult torch, int epochs)
    {
        var info = ours.Model.Info;
        var p = torch.Absent is null ? torch.Output : null;
        double? PeerNum(string field) => Num(p?[field]);
        var peerSeconds = PeerNum("train_seconds");
        var imagesPerSecond = ours.Train.Facts.TryGetValue("images_per_second", out var ips) && double.TryParse(ips, CultureInfo.InvariantCulture, out var r) ? r : (double?)null;
        var details = new JsonObject
        {
            ["model"] = info.Model,
            ["parameters"] = info.Parameters,
            ["peer_parameters"] = p?["parameters"]?.GetValue<long>(),
            ["epochs"] = epochs,
            ["train_images"] = sets[0].Rows,
            ["val_images"] = sets[1].Rows,
            ["holdout_images"] = sets[2].Rows,
            ["holdout_coordinates"] = ours.Holdout.Report.Count,
            ["ours"] = new JsonObject
            {
                ["holdout_rmse"] = Round(ours.Holdout.Report.Overall),
                ["val_rmse"] = info.BestValidationRmse is { } v ? Round(v) : null,
                ["best_epoch"] = info.BestEpoch,
                ["train_seconds"] = Round(ours.TrainSeconds, 2),
                ["epoch_seconds"] = Ratios.Array(ours.EpochSeconds),
                ["train_stage_seconds"] = Round(ours.Train.Seconds, 2),
                ["images_per_s"] = imagesPerSecond,
                ["run"] = ours.RunId,
                ["train_entry"] = ours.Model.Key,
                ["training"] = ours.Reused ? "reused from the store (figures from its manifest)" : "computed in this run",
            },
            ["peer"] = p is null ? null : new JsonObject
            {
                ["holdout_rmse"] = PeerNum("holdout_rmse") is { } h ? Round(h) : null,
                ["val_rmse"] = PeerNum("val_rmse") is { } pv ? Round(pv) : null,
                ["best_epoch"] = p["best_epoch"]?.DeepClone(),
                ["train_seconds"] = peerSeconds is { } ps ? Round(ps, 2) : null,
                ["images"] = p["images"]?.DeepClone(),
                ["loop_seconds"] = PeerNum("loop_seconds") is { } ls ? Round(ls, 2) : null,
                ["epoch_seconds"] = p["epoch_seconds"] is JsonArray a ? Ratios.Array(a.Select(Num).OfType<double>()) : null,
                ["images_per_s"] = PeerNum("images_per_s") is { } pr ? Math.Round(pr, 1) : null,
                ["flip_tta"] = p["flip_tta"]?.DeepClone(),
                ["threads"] = p["threads"]?.DeepClone(),
                ["malloc_tuned"] = p["malloc_tuned"]?.DeepClone(),
                ["torch"] = p["torch"]?.DeepClone(),
                ["blas"] = p["blas"]?.DeepClone(),
            },
            ["peer_absent"] = torch.Absent,
            ["train_seconds_ours_over_peer"] = peerSeconds is > 0 && ours.TrainSeconds > 0 ? Round(ours.TrainSeconds / peerSeconds.Value) : null,
            ["recipe"] = Recipe(ours),
            ["recipe_note"] = "pipelines/accuracy.json up to its train stage: kaggle-source, parse, dedup, label-fix, split by person (val_fraction 0.12), " +
                "random augmentation (draws of flip, rotation, shift, scale, brightness, contrast, blur, noise), then train with the recipe above " +
                $"(not train_all, the same recipe on every face); both train on the CPU with {Threads} torch threads",
            ["value_is"] = "our holdout RMSE in pixels over every labelled coordinate of holdout.csv.gz (what `evaluate --run RUN --stage train --data holdout.csv.gz` prints), flip TTA as trained; peer_value: PyTorch's, the same way; ratio: ours / peer (below 1: ours is more accurate)",
            ["train_seconds_measure"] = "the sum over epochs of each epoch's batch loop plus its validation pass: ours from the train stage's epoch_seconds fact (checkpoint writes and data loading excluded; train_stage_seconds is the whole stage), the peer's timed the same way",
            ["peer_data"] = "our run's own sets, from the train stage's inputs through TrainingData: train (the augment stage's faces, the rows the stage trains on, in order), val (the split's validation faces), holdout (every row of holdout.csv.gz); pixels uint8 N x 9216, targets float32 N x outputs normalised (y - 48) / 48 with NaN where missing; the peer shuffles with its own generator and initialises its own weights",
        };
        PeerBlas.AddTo(details, [p]);
        var report = BenchReport.Combine("accuracy", Round(ours.Holdout.Report.Overall), "px", torch, higherIsBetter: true, details);
        return report with { RatioReads = "<1 = ours is more accurate" };
    }

    private static string Table(BenchReport report, OursResult ours, IReadOnlyList<PeerData.Written> sets, PeerResult torch)
    {
        var d = report.Details;
        var peer = d["peer"] as JsonObject;
        string Cell(JsonNode? n, string format) => Num(n) is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
        string Ratio(JsonNode? a, JsonNode? b) => Num(a) is { } u && Num(b) is { } v && v > 0 ? (u / v).ToString("F3", CultureInfo.InvariantCulture) : "-";
        var o = (JsonObject)d["ours"]!;
        var head = torch.Absent is null ? torch.Name : "PyTorch";
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"{"",-20} {"ours",12} {head,18} {"ours/peer",10}");
        void Row(string what, string field, string format, bool ratio = true) =>
            w.WriteLine($"{what,-20} {Cell(o[field], format),12} {Cell(peer?[field], format),18} {(ratio ? Ratio(o[field], peer?[field]) : ""),10}");
        Row("holdout RMSE (px)", "holdout_rmse", "F3");
        Row("best val RMSE (px)", "val_rmse", "F3");
        Row("best epoch", "best_epoch", "F0", ratio: false);
        Row("training (s)", "train_seconds", "F1");
        Row("images/s", "images_per_s", "F0");
        w.WriteLine($"{"parameters",-20} {ours.Model.Info.Parameters,12:N0} {Cell(d["peer_parameters"], "N0"),18}");
        w.WriteLine($"{ours.Model.Info.Model}, {ours.Params.Epochs} epoch(s), {sets[0].Rows:N0} training, {sets[1].Rows:N0} validation, {sets[2].Rows:N0} holdout images{(torch.Absent is null ? "" : $"; peer absent: {torch.Absent}")}");
        return w.ToString();
    }

    private static double Round(double v, int digits = 4) => Math.Round(v, digits);

    /// <summary>A finite number, whatever its CLR type in the node (a parsed peer's output or one built here), else null.</summary>
    private static double? Num(JsonNode? n) =>
        n is JsonValue v && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;
}
