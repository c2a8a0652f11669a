using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Fkd.Cli.Bench;
using Fkd.Cli.Commands;
using Fkd.Cli.Tests.EndToEnd;
using Fkd.Stages.Source;
using Fkd.Stages.Torch;

namespace Fkd.Cli.Tests.Bench;

/// <summary>`bench accuracy`: its usage errors, and one real run (our pipeline and the PyTorch peer) on a tiny faces-real-shaped folder.</summary>
public sealed class AccuracyBenchmarkTests
{
    private sealed class FailingPeer(string why) : IPeerRunner
    {
        public (JsonObject? Output, string? Error) Run(string script, IReadOnlyList<string> args, TimeSpan timeout) => (null, why);
    }

    private static Task<int> Bench(string name, BenchSettings s) =>
        BenchCommand.RunAsync(name, s, json: true, new FailingPeer("unused"), CancellationToken.None);

    [Fact]
    public async Task Without_a_folder_it_is_a_usage_error_naming_the_files()
    {
        var e = await Assert.ThrowsAsync<UsageException>(() => Bench("accuracy", new BenchSettings()));
        Assert.Contains("faces-real folder", e.Message);
        Assert.Contains("train.csv.gz, train_sources.csv, holdout.csv.gz", e.Message);
    }

    [Fact]
    public async Task A_folder_without_the_holdout_is_a_usage_error()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("train.csv.gz"), "");
        File.WriteAllText(dir.File("train_sources.csv"), "");
        var e = await Assert.ThrowsAsync<UsageException>(() => Bench("accuracy", new BenchSettings(Data: dir.Path)));
        Assert.Contains("no holdout.csv.gz", e.Message);
        e = await Assert.ThrowsAsync<UsageException>(() => Bench("accuracy", new BenchSettings(Data: dir.File("nothing-here"))));
        Assert.Contains("no folder", e.Message);
    }

    [Theory]
    [InlineData("parse", "x", null, null)]       // a folder for a benchmark that takes none
    [InlineData("train", null, 3, null)]         // --epochs is accuracy's
    [InlineData("accuracy", "DATA", 0, null)]    // at least one epoch
    [InlineData("accuracy", "DATA", null, "no-such-model")]
    public async Task Wrong_options_are_usage_errors(string name, string? folder, int? epochs, string? model)
    {
        using var dir = new TempDir();
        foreach (var f in AccuracyBenchmark.Files) File.WriteAllText(dir.File(f), "");
        await Assert.ThrowsAsync<UsageException>(() => Bench(name, new BenchSettings(Model: model, Data: folder == "DATA" ? dir.Path : folder, Epochs: epochs)));
    }

    [Fact]
    public async Task Repeats_and_quick_are_not_for_accuracy()
    {
        using var dir = new TempDir();
        foreach (var f in AccuracyBenchmark.Files) File.WriteAllText(dir.File(f), "");
        await Assert.ThrowsAsync<UsageException>(() => Bench("accuracy", new BenchSettings(Repeats: 2, Data: dir.Path)));
        await Assert.ThrowsAsync<UsageException>(() => Bench("accuracy", new BenchSettings(Quick: true, Data: dir.Path)));
    }

    [Fact]
    public void The_cli_exits_2_without_a_folder()
    {
        var r = CliProcess.Run(null, "bench", "accuracy", "--json");
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Contains("needs a faces-real folder", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void The_defaults_are_the_accuracy_pipelines()
    {
        var (json, model, epochs) = AccuracyBenchmark.Pipeline();
        var train = JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("pipelines", "accuracy.json")))!["stages"]!["train"]!["params"]!;
        Assert.Equal(File.ReadAllText(RepoPaths.InRepo("pipelines", "accuracy.json")), json);
        Assert.Equal(train["model"]!.GetValue<string>(), model);
        Assert.Equal(train["epochs"]!.GetValue<int>(), epochs);
    }

    [Theory]
    [InlineData("torch_accuracy.py")]
    [InlineData("torch_models.py")]
    public void Its_peer_scripts_are_embedded(string script) =>
        Assert.Contains("masked_mse", PythonPeerRunner.ReadScript(script));

    [Fact]
    public void It_runs_the_validated_recipe_only()
    {
        var stages = JsonNode.Parse(AccuracyBenchmark.Upstream(AccuracyBenchmark.Pipeline().Json, "train"))!["stages"]!.AsObject();
        Assert.Equal(["augment", "dedup", "faces", "labelfix", "split", "train", "train_rows"], stages.Select(s => s.Key).Order().ToArray());
        var full = JsonNode.Parse(AccuracyBenchmark.Pipeline().Json)!["stages"]!.AsObject();
        Assert.Contains("train_all", full.Select(s => s.Key));   // the full pipeline has more: the cut is the bench's
        Assert.True(JsonNode.DeepEquals(full["train"], stages["train"]));
    }

    // The bench trains on the CPU with 2 threads; it overrides the pipeline only where its values would resolve to
    // something else here, so a training the pipeline itself made keeps its key and is reused.
    [Theory]
    [InlineData("{}", 2, false, "")]
    [InlineData("{}", 8, false, "train.threads=2")]
    [InlineData("{}", 2, true, "train.device=cpu")]
    [InlineData("{}", 16, true, "train.threads=2 train.device=cpu")]
    [InlineData("""{"threads": 2, "device": "cpu"}""", 16, true, "")]
    [InlineData("""{"threads": 4, "device": "Auto"}""", 2, false, "train.threads=2")]
    [InlineData("""{"device": "cuda"}""", 2, true, "train.device=cpu")]
    [InlineData("""{"device": "cuda"}""", 2, false, "train.device=cpu")]
    public void It_overrides_threads_and_device_only_where_they_would_differ(string trainParams, int cores, bool cuda, string expected)
    {
        // As TorchRuntime.DeviceName: cuda where CUDA is missing is an error, not an answer.
        var sets = AccuracyBenchmark.TorchSets(JsonNode.Parse(trainParams)!.AsObject(), t => t > 0 ? t : cores,
            d => d == TorchDevice.Cpu || (d == TorchDevice.Auto && !cuda) ? "cpu"
                : cuda ? "cuda" : throw new InvalidOperationException("Device 'cuda' was requested but CUDA is not available"));
        Assert.Equal(expected, string.Join(' ', sets));
    }

    /// <summary>Whether the interpreter the peer runner uses can import torch and numpy (decides which outcome the real run must show).</summary>
    private static bool TorchImports()
    {
        try
        {
            var psi = new ProcessStartInfo(PythonPeerRunner.Interpreter, ["-c", "import numpy, torch"]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    /// <summary>A faces-real-shaped folder: Kaggle CSVs, gzipped, of synthetic faces, four rows a person.</summary>
    private static void WriteFolder(string dir)
    {
        var train = SyntheticFaces.Generate(new SyntheticOptions(TrainRows: 64, TestRows: 1, PartialFraction: 0.25, DuplicateGroups: 2, WrongLabels: 1, BlankImages: 0)).Train;
        var holdout = SyntheticFaces.Generate(new SyntheticOptions(TrainRows: 24, TestRows: 1, Seed: 7, PartialFraction: 0, DuplicateGroups: 0, WrongLabels: 0, BlankImages: 0)).Train;
        foreach (var (name, faces) in new[] { ("train.csv.gz", train), ("holdout.csv.gz", holdout) })
        {
            using var f = File.Create(Path.Combine(dir, name));
            using var z = new GZipStream(f, CompressionLevel.Fastest);
            KaggleCsvWriter.WriteTraining(z, faces);
        }
        File.WriteAllLines(Path.Combine(dir, "train_sources.csv"),
            ["row,person,file", .. Enumerable.Range(0, train.Length).Select(i => $"{i},person_{i / 4},face_{i}.jpg")]);
    }

    [Fact]
    public void A_real_run_scores_ours_and_the_peer_on_the_holdout_and_a_rerun_reuses_our_training()
    {
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "faces-real");
        Directory.CreateDirectory(data);
        WriteFolder(data);
        var settings = new BenchSettings(Data: data, Epochs: 1, Store: Path.Combine(dir.Path, "store"));

        var report = AccuracyBenchmark.Run(settings, new PythonPeerRunner(), CancellationToken.None);
        var json = JsonNode.Parse(report.ToJson().ToJsonString())!; // as printed

        Assert.Equal(["name", "value", "unit", "peer", "peer_value", "ratio", "details"], json.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal("accuracy", json["name"]!.GetValue<string>());
        Assert.Equal("px", json["unit"]!.GetValue<string>());
        var value = json["value"]!.GetValue<double>();
        Assert.True(double.IsFinite(value) && value > 0 && value < 96, $"holdout RMSE {value}");
        var d = json["details"]!;
        Assert.Equal(1, d["epochs"]!.GetValue<int>());
        Assert.Equal(AccuracyBenchmark.Pipeline().Model, d["model"]!.GetValue<string>());
        Assert.Equal(24, d["holdout_images"]!.GetValue<int>());
        Assert.True(d["train_images"]!.GetValue<int>() > 64, "the augmented set is larger than the faces");
        Assert.True(d["val_images"]!.GetValue<int>() > 0);
        Assert.Equal(value, d["ours"]!["holdout_rmse"]!.GetValue<double>());
        Assert.True(d["ours"]!["train_seconds"]!.GetValue<double>() > 0);
        Assert.Equal(1, d["ours"]!["best_epoch"]!.GetValue<int>());
        Assert.Equal("computed in this run", d["ours"]!["training"]!.GetValue<string>());
        Assert.Equal(2, d["recipe"]!["threads"]!.GetValue<int>());
        Assert.Equal("cpu", d["recipe"]!["device"]!.GetValue<string>());
        Assert.Equal(0.002, d["recipe"]!["learning_rate"]!.GetValue<double>());

        if (TorchImports())
        {
            Assert.True(report.PeerValue is { } p && double.IsFinite(p) && p > 0, $"the peer should have run: {report.Peer}");
            Assert.StartsWith("PyTorch ", report.Peer);
            Assert.DoesNotContain("absent", report.Peer);
            Assert.Equal(Math.Round(value / report.PeerValue!.Value, 12), Math.Round(report.Ratio!.Value, 12));
            Assert.Equal(d["parameters"]!.GetValue<long>(), d["peer_parameters"]!.GetValue<long>());
            Assert.Equal(d["train_images"]!.GetValue<int>(), d["peer"]!["images"]!.GetValue<int>());
            Assert.True(d["peer"]!["images_per_s"]!.GetValue<double>() > 0);
            Assert.Equal(1, d["peer"]!["best_epoch"]!.GetValue<int>());
            Assert.True(d["peer"]!["train_seconds"]!.GetValue<double>() > 0);
            Assert.True(d["train_seconds_ours_over_peer"]!.GetValue<double>() > 0);
            Assert.True(d["peer"]!["flip_tta"]!.GetValue<bool>());
        }
        else
        {
            Assert.Null(report.PeerValue);
            Assert.Null(report.Ratio);
            Assert.Contains("torch", d["peer_absent"]!.GetValue<string>());
        }

        // Again, into the same store: our training comes from it; a peer that cannot run is absent, with its reason.
        var again = JsonNode.Parse(AccuracyBenchmark.Run(settings, new FailingPeer("no interpreter here"), CancellationToken.None).ToJson().ToJsonString())!;
        Assert.Equal("reused from the store (figures from its manifest)", again["details"]!["ours"]!["training"]!.GetValue<string>());
        Assert.Equal(value, again["value"]!.GetValue<double>());
        Assert.Equal("PyTorch (absent: no interpreter here)", again["peer"]!.GetValue<string>());
        Assert.Null(again["peer_value"]);
        Assert.Equal("no interpreter here", again["details"]!["peer_absent"]!.GetValue<string>());
    }
}
