using Fkd.Flow.Stages;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Fkd.Flow.Exec;
using Fkd.Stages.Augment;
using Fkd.Stages.Faces;
using Fkd.Stages.Source;

namespace Fkd.Cli.Bench;

/// <summary>
/// `bench augment`: variant images per second for AugmentParams.FlipRotateBrightness (flip × rotations ±5/9/13° ×
/// brightness ×0.6/0.8/1.2/1.5, the cartesian product: 70 variants per face, the original included) on
/// 96x96 synthetic faces, keypoints transformed and checked, through the same Dataflow RowFlow as the
/// augment stage, on all cores. Peer: torchvision's functional hflip / rotate (bilinear) / adjust_brightness
/// on 1x96x96 uint8 tensors with the keypoint math in numpy, one process, torch.set_num_threads(2).
/// </summary>
public static class AugmentBenchmark
{
    public static async Task<BenchReport> RunAsync(BenchSettings s, IPeerRunner peer, CancellationToken ct)
    {
        var repeats = s.RepeatsOr(3, 1);
        var faces = s.Quick ? 200 : 1000;
        var peerFaces = s.Quick ? 50 : 200;
        var spec = AugmentParams.FlipRotateBrightness;
        var variants = Recipe.Variants(spec);
        var data = SyntheticFaces.Generate(new SyntheticOptions(TrainRows: faces, TestRows: 1)).Train;
        var hashes = data.Select(f => ImageHash.Of(f.Pixels)).ToArray();

        await Once(data, hashes, variants, Math.Min(50, faces), ct); // warm-up (JIT)
        var times = new List<double>();
        var kept = 0L; var jobs = 0L;
        for (var i = 0; i < repeats; i++)
        {
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            var r = await Once(data, hashes, variants, faces, ct);
            times.Add(r.Seconds); kept = r.Kept; jobs = r.Jobs;
        }
        var median = Ratios.Median(times);
        var ours = jobs / median;

        // The same variant list for the peer: [flip, rotation degrees or null, brightness factor or null].
        var plan = new JsonArray([.. variants.Select(v => (JsonNode)new JsonArray(
            v.Flip,
            v.Geometric.OfType<GeometricOp.Rotate>().Select(g => (double?)g.Degrees).FirstOrDefault(),
            v.Photometric.OfType<PhotometricOp.Multiply>().Select(p => (double?)p.Factor).FirstOrDefault()))]);
        if (variants.Any(v => v.Geometric.Any(g => g is not GeometricOp.Rotate) || v.Photometric.Any(p => p is not PhotometricOp.Multiply)))
            throw new InvalidOperationException("bench augment's peer mirrors only flip, rotation and brightness.");
        var planFile = Path.GetTempFileName();
        PeerResult peerResult;
        try
        {
            File.WriteAllText(planFile, plan.ToJsonString());
            peerResult = Peers.Measure(peer, "torchvision", "torchvision_augment.py",
                [planFile, peerFaces.ToString(CultureInfo.InvariantCulture), repeats.ToString(CultureInfo.InvariantCulture)],
                "images_per_s", TimeSpan.FromMinutes(3));
        }
        finally { File.Delete(planFile); }

        var details = new JsonObject
        {
            ["recipe"] = new JsonObject([.. ParamSchema.Of<AugmentParams>().ToJson(spec).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))]),
            ["variants_per_face"] = variants.Length,
            ["faces"] = faces,
            ["variant_images"] = jobs,
            ["kept"] = kept,
            ["dropped_out_of_image"] = jobs - kept,
            ["threads"] = Environment.ProcessorCount,
            ["repeats"] = repeats,
            ["seconds"] = Ratios.Array(times),
            ["median_seconds"] = Math.Round(median, 4),
            ["interpolation"] = ParamSchema.ChoiceName(spec.Interpolation),
            ["ours_measures"] = "Augmenter.Apply per (face, variant) through RowFlow (Dataflow, all cores, unordered), keypoints transformed and checked; no Parquet",
            ["peer_measures"] = $"torchvision.transforms.functional hflip/rotate(bilinear)/adjust_brightness on 1x96x96 uint8 tensors + numpy keypoint math, {peerFaces} faces x the same {variants.Length} variants, one process, 2 torch threads",
            ["peer_output"] = peerResult.Output?.DeepClone(),
        };
        return BenchReport.Combine("augment", Math.Round(ours, 1), "images/s", peerResult, higherIsBetter: true, details);
    }

    private static async Task<(double Seconds, long Jobs, long Kept)> Once(IReadOnlyList<Face> faces, UInt128[] hashes,
        IReadOnlyList<VariantPlan> variants, int count, CancellationToken ct)
    {
        var kept = 0L; var jobs = 0L;
        var work = Enumerable.Range(0, count).SelectMany(i => Enumerable.Range(0, variants.Count).Select(v => (Row: i, Variant: v)));
        var sw = Stopwatch.StartNew();
        await RowFlow.RunAsync(work, j => Augmenter.Apply(faces[j.Row], hashes[j.Row], variants[j.Variant], 7),
            o => { jobs++; if (o.Kept) kept++; }, new RowFlow.Options(0, 512), ct);
        return (sw.Elapsed.TotalSeconds, jobs, kept);
    }
}
