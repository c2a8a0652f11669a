using System.Globalization;
using System.Text.Json.Nodes;
using Fkd.Stages.Faces;
using Fkd.Stages.Train;
using Fkd.Stages.Source;
using Fkd.Stages.Torch;

namespace Fkd.Cli.Bench;

/// <summary>
/// `bench train`: training images per second of Trainer.Train (Adam + masked MSE, batch 64, 2 torch threads,
/// CPU) on synthetic faces, the median over the epochs after the first (the first is warm-up). Peer: PyTorch
/// running the same architecture (bench/peers/torch_train.py mirrors ModelFactory layer by layer; the parameter
/// counts are compared in details) with the same loss and optimiser, 2 threads, the same glibc malloc tuning.
/// </summary>
public static class TrainBenchmark
{
    public const int Threads = 2;
    public const int BatchSize = 64;

    public static BenchReport Run(BenchSettings s, IPeerRunner peer, CancellationToken ct)
    {
        var model = s.Model ?? ModelFactory.Default;
        CheckModel(model);
        var images = s.Quick ? 128 : 320;
        var epochs = 1 + s.RepeatsOr(3, 2);
        var set = MakeSet(images);
        var dir = Directory.CreateTempSubdirectory("fkd-bench-train-");
        List<double> rates;
        List<double> fileRates;
        long parameters;
        try
        {
            rates = InBench(model, set, epochs, Path.Combine(dir.FullName, "memory"), ct);
            // The same images from a pixel file, as the train stage reads them now: the feed reads each
            // batch's images while the model trains on the previous batch.
            var pixelPath = Path.Combine(dir.FullName, "pixels.bin");
            using (var w = new PixelFile.Writer(pixelPath))
                for (var i = 0; i < set.Count; i++) w.Add(set.Pixels.AsSpan(i * TrainingSet.PixelsPerImage, TrainingSet.PixelsPerImage));
            using (var file = PixelFile.Open(pixelPath))
                fileRates = InBench(model, TrainingSet.FromFile(file, set.Targets), epochs, Path.Combine(dir.FullName, "file"), ct);
            parameters = Parameters(model, set.Outputs);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
        var ours = Ratios.Median(rates);
        var peerResult = PyTorch(peer, model, images, epochs, parameters);

        var details = new JsonObject
        {
            ["model"] = model,
            ["parameters"] = parameters,
            ["images"] = images,
            ["batch_size"] = BatchSize,
            ["threads"] = Threads,
            ["epochs"] = epochs,
            ["warm_up_epochs"] = 1,
            ["images_per_s_by_epoch"] = Ratios.Array(rates),
            ["pixel_file_images_per_s_by_epoch"] = Ratios.Array(fileRates),
            ["pixel_file_images_per_s"] = Math.Round(Ratios.Median(fileRates), 1),
            ["pixel_file_over_in_memory"] = Math.Round(Ratios.Median(fileRates) / ours, 3),
            ["ours_measures"] = OursMeasures + "; value: images in memory; pixel_file_*: the same images read from a PixelFile as the train stage does",
            ["peer_measures"] = PeerMeasures,
            ["peer_output"] = peerResult.Output?.DeepClone(),
        };
        PeerBlas.AddTo(details, [peerResult.Output]);
        return BenchReport.Combine("train", Math.Round(ours, 1), "images/s", peerResult, higherIsBetter: true, details);
    }

    public const string OursMeasures = "Trainer.Train (TorchSharp, CPU): batch copy, forward, masked MSE, backward, Adam step, loss.item() per batch; epochs after the first; checkpoint writing excluded";
    public const string PeerMeasures = "the same loop in PyTorch on random images with the same missing-label pattern; the same layers (parameter counts compared), mallopt(M_TRIM_THRESHOLD=-1, INT_MAX) and mallopt(M_MMAP_MAX=-4, 0) through ctypes, OMP_WAIT_POLICY=PASSIVE as ours; its training runs on its main thread (one malloc arena)";

    public static void CheckModel(string model)
    {
        if (!ModelFactory.Names.Contains(model))
            throw new UsageException($"unknown model '{model}' (expected one of {string.Join(", ", ModelFactory.Names)})");
    }

    /// <summary>Images/s of each epoch after the first, training on the calling thread as this benchmark's process runs it.</summary>
    public static List<double> InBench(string model, TrainingSet set, int epochs, string checkpointDir, CancellationToken ct)
    {
        var o = new TrainParams(Model: model, Epochs: epochs, BatchSize: BatchSize, Schedule: LrSchedule.None, FlipTta: false)
        {
            Threads = Threads, Device = TorchDevice.Cpu,
        };
        var result = Trainer.Train(set, null, o, checkpointDir, null, ct);
        return [.. result.Epochs.Skip(1).Select(e => e.ImagesPerSecond)];
    }

    public static long Parameters(string model, int outputs) =>
        ModelInputs.ParameterCount(model, outputs, new TrainParams(Model: model).ModelOptions);

    /// <summary>PyTorch on the same layers, or absent (with the reason) when it cannot run or its layers are not ours.</summary>
    public static PeerResult PyTorch(IPeerRunner peer, string model, int images, int epochs, long parameters)
    {
        var r = Peers.Measure(peer, "pytorch", "torch_train.py",
            [model, images.ToString(CultureInfo.InvariantCulture), BatchSize.ToString(CultureInfo.InvariantCulture),
             epochs.ToString(CultureInfo.InvariantCulture), Threads.ToString(CultureInfo.InvariantCulture)],
            "images_per_s", TimeSpan.FromMinutes(10));
        var peerParams = r.Output?["parameters"]?.GetValue<long>();
        return peerParams is { } pp && pp != parameters
            ? PeerResult.Missing("pytorch", $"its {model} has {pp:N0} parameters, ours {parameters:N0}: not the same architecture")
            : r;
    }

    /// <summary>Synthetic faces as the trainer takes them: 8-bit pixels, targets (c - 48) / 48, NaN = missing.</summary>
    public static TrainingSet MakeSet(int n)
    {
        var faces = SyntheticFaces.Generate(new SyntheticOptions(TrainRows: n, TestRows: 1)).Train;
        var pixels = new byte[faces.Length * TrainingSet.PixelsPerImage];
        var targets = new float[faces.Length * Keypoints.CoordCount];
        for (var i = 0; i < faces.Length; i++)
        {
            faces[i].Pixels.CopyTo(pixels, i * TrainingSet.PixelsPerImage);
            for (var c = 0; c < Keypoints.CoordCount; c++) targets[i * Keypoints.CoordCount + c] = (faces[i].Coords[c] - 48f) / 48f;
        }
        return new TrainingSet(faces.Length, pixels, targets);
    }
}
