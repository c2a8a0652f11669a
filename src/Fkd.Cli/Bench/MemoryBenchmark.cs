using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fkd.Stages.Augment;
using Fkd.Stages.Faces;
using Fkd.Stages.Source;
using Fkd.Stages.Torch;
using Fkd.Stages.Train;

namespace Fkd.Cli.Bench;

/// <summary>
/// `bench memory`: peak resident memory of augment plus one training epoch at 10,000, 100,000 and 500,000
/// images, each size in a child process of its own (`bench memory --images N`), which reads its peak (VmHWM)
/// from /proc/self/status at the end. A child writes synthetic source faces (512 distinct renders, each copy
/// one pixel apart so every image hash differs), augments them with AugmentParams.FlipRotateBrightness (70
/// variants) through the streaming augment into Parquet, streams that into the training feed's pixel file and
/// trains cnn-small (batch 64, 2 threads) for one epoch. Value: peak RSS at the largest size; peer: the same
/// at the smallest size in the same run, so ratio = smallest / largest (1 = flat; the target, ≤ 1.3× growth,
/// is ratio ≥ 0.77).
/// </summary>
public static class MemoryBenchmark
{
    public static readonly int[] Sizes = [10_000, 100_000, 500_000];
    public static readonly int[] QuickSizes = [2_000, 20_000];

    private const int DistinctFaces = 512;

    public static BenchReport Run(BenchSettings s, CancellationToken ct)
    {
        var sizes = s.Quick ? QuickSizes : Sizes;
        var model = s.Model ?? ModelFactory.Default;
        var runs = new JsonArray();
        var peaks = new List<(int Images, double PeakMb)>();
        foreach (var n in sizes)
        {
            System.Console.Error.WriteLine($"bench memory: {n:N0} images in a child process...");
            var child = RunChild(n, model, ct);
            runs.Add(child);
            peaks.Add((n, child["peak_rss_mb"]!.GetValue<double>()));
        }
        var small = peaks[0];
        var large = peaks[^1];
        var peer = new PeerResult($"the same at {small.Images:N0} images (same run)", small.PeakMb, null, null);
        var details = new JsonObject
        {
            ["model"] = model,
            ["recipe"] = "flip x rotations ±5/9/13° x brightness ×0.6/0.8/1.2/1.5, product (70 variants)",
            ["sizes"] = new JsonArray([.. sizes.Select(x => (JsonNode)x)]),
            ["growth_largest_over_smallest"] = Math.Round(large.PeakMb / small.PeakMb, 3),
            ["runs"] = runs,
            ["ours_measures"] = "per size, one child process: synthetic source table written, streaming augment to Parquet, streaming load into the training pixel file, one epoch of Trainer.Train; peak = VmHWM of the child from /proc/self/status",
            ["peer_measures"] = "the smallest size, same child, same run",
        };
        return BenchReport.Combine("memory", Math.Round(large.PeakMb, 1), "MB", peer, higherIsBetter: false, details);
    }

    private static JsonObject RunChild(int images, string model, CancellationToken ct)
    {
        var dll = typeof(MemoryBenchmark).Assembly.Location;
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "bench", "memory", "--images", images.ToString(CultureInfo.InvariantCulture), "--model", model, "--json" })
            psi.ArgumentList.Add(a);
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {dotnet}");
        var stdout = proc.StandardOutput.ReadToEndAsync(ct);
        var stderr = proc.StandardError.ReadToEndAsync(ct);
        proc.WaitForExit();
        var last = stdout.Result.Trim().Split('\n').LastOrDefault() ?? "";
        JsonObject? json = null;
        try { json = JsonNode.Parse(last) as JsonObject; } catch (JsonException) { }
        if (proc.ExitCode != 0 || json is null)
            throw new InvalidOperationException($"bench memory child ({images:N0} images) exited with {proc.ExitCode}: "
                + stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(l => l.StartsWith("error", StringComparison.Ordinal)));
        return json;
    }

    /// <summary>The child: one size, measured in this process; prints one JSON object.</summary>
    public static async Task<JsonObject> RunOneAsync(int images, string model, CancellationToken ct)
    {
        if (images < 1) throw new UsageException("--images must be at least 1");
        TorchRuntime.PrepareProcess();
        var spec = AugmentParams.FlipRotateBrightness;
        var variants = Recipe.Variants(spec).Length;
        var sources = (images + variants - 1) / variants;
        var dir = Directory.CreateTempSubdirectory("fkd-bench-memory-");
        try
        {
            var source = Path.Combine(dir.FullName, "source.parquet");
            var augmented = Path.Combine(dir.FullName, "augmented.parquet");
            await WriteSources(source, sources, ct);
            var rssBefore = Rss().Current;

            var sw = Stopwatch.StartNew();
            var summary = await AugmentStream.RunAsync(source, augmented, spec, new Dictionary<string, string>(), null, ct);
            var augmentSeconds = sw.Elapsed.TotalSeconds;
            var rssAfterAugment = Rss();
            var gcAfterAugment = GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0;

            sw.Restart();
            using var set = new Disposer(await TrainingData.ToFileSetAsync(augmented, TrainTargets.Masked, -1, Path.Combine(dir.FullName, "pixels.bin"), ct));
            var loadSeconds = sw.Elapsed.TotalSeconds;
            var o = new TrainParams(Model: model, Epochs: 1, BatchSize: TrainBenchmark.BatchSize, Schedule: LrSchedule.None, FlipTta: false)
            {
                Threads = TrainBenchmark.Threads, Device = TorchDevice.Cpu,
            };
            var result = Trainer.Train(set.Set, null, o, Path.Combine(dir.FullName, "checkpoints"), null, ct);
            var epoch = result.Epochs[0];
            var rss = Rss();
            return new JsonObject
            {
                ["images"] = images,
                ["source_faces"] = sources,
                ["augmented_rows"] = summary.RowsOut,
                ["augment_seconds"] = Math.Round(augmentSeconds, 3),
                ["augment_images_per_s"] = Math.Round(summary.RowsOut / augmentSeconds, 1),
                ["augment_peak_rows_held"] = summary.PeakRowsHeld,
                ["augment_row_groups_out"] = summary.RowGroupsOut,
                ["rss_mb_before_augment"] = Math.Round(rssBefore, 1),
                ["peak_rss_mb_after_augment"] = Math.Round(rssAfterAugment.Peak, 1),
                ["gc_committed_mb_after_augment"] = Math.Round(gcAfterAugment, 1),
                ["load_seconds"] = Math.Round(loadSeconds, 3),
                ["train_images"] = set.Set.Count,
                ["train_seconds"] = Math.Round(epoch.Seconds, 3),
                ["train_images_per_s"] = Math.Round(epoch.ImagesPerSecond, 1),
                ["peak_rss_mb"] = Math.Round(rss.Peak, 1),
                ["rss_mb_at_end"] = Math.Round(rss.Current, 1),
                ["gc_heap_mb_at_end"] = Math.Round(GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0, 1),
                ["gc_committed_mb_at_end"] = Math.Round(GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0, 1),
                ["gc_collections"] = new JsonArray(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)),
            };
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private sealed record Disposer(TrainingSet Set) : IDisposable
    {
        public void Dispose() => Set.File?.Dispose();
    }

    /// <summary>
    /// <paramref name="count"/> source faces written a row group at a time: 512 synthetic renders repeated,
    /// copy k of a render with pixel k/512 nudged by one grey level, so every row has its own hash (and so its
    /// own augmentation draws) while the writer holds one group.
    /// </summary>
    private static async Task WriteSources(string path, int count, CancellationToken ct)
    {
        var faces = SyntheticFaces.Generate(new SyntheticOptions(TrainRows: DistinctFaces, TestRows: 1)).Train;
        await using var w = await FaceTable.RowWriter.CreateAsync(path, [], new Dictionary<string, string>(), ct);
        for (var i = 0; i < count; i++)
        {
            var f = faces[i % faces.Length];
            var px = (byte[])f.Pixels.Clone();
            var k = i / faces.Length;
            if (k > 0) { var at = k % px.Length; px[at] = (byte)(px[at] ^ 1); }
            await w.AddAsync(new FaceRow(i, i + 2, ImageHash.HexOf(px), px, f.Coords, FaceRow.NoTags), ct);
        }
        await w.CompleteAsync(ct);
    }

    /// <summary>VmRSS and VmHWM of this process in MB, from /proc/self/status (NaN where there is no /proc).</summary>
    private static (double Current, double Peak) Rss()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return (double.NaN, double.NaN);
        double Kb(string line) => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        double cur = double.NaN, peak = double.NaN;
        foreach (var line in File.ReadLines(status))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) cur = Kb(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line);
        }
        return (cur, peak);
    }
}
