using System.Text.Json.Nodes;
using Fkd.Flow.Stages;
using System.Collections.Concurrent;
using CsCheck;
using Fkd.Stages.Augment;
using Fkd.Stages.Faces;
using static Fkd.Stages.Tests.Augment.AugmentTestData;

namespace Fkd.Stages.Tests.Augment;

public class PhotometricAndRecipeTests
{
    private static readonly Gen<PhotometricOp> PhotoOp = Gen.OneOf<PhotometricOp>(
        Gen.Double[0, 3].Select(f => (PhotometricOp)new PhotometricOp.Multiply(f)),
        Gen.Double[0, 20].Select(p => (PhotometricOp)new PhotometricOp.ContrastStretch(p, 100 - p)),
        Gen.Double[0.2, 5].Select(g => (PhotometricOp)new PhotometricOp.Gamma(g)),
        Gen.Double[0.001, 0.2].Select(c => (PhotometricOp)new PhotometricOp.Clahe(c)),
        Gen.Double[0, 0.5].Select(s => (PhotometricOp)new PhotometricOp.Noise(s)),
        Gen.Double[0, 3].Select(a => (PhotometricOp)new PhotometricOp.Sharpen(a)),
        Gen.Double[0.3, 3].Select(s => (PhotometricOp)new PhotometricOp.Blur(s)));

    [Fact]
    public void Photometric_ops_leave_coords_bit_identical_and_pixels_in_range()
    {
        Gen.Select(Gen.Int, PhotoOp, PhotoOp).Sample((seed, a, b) =>
        {
            var face = RandomFace(seed);
            var o = Augmenter.Apply(face, (UInt128)seed, Plan(photo: [a, b]), 9);
            Assert.True(SameBits(face.Coords, o.Face!.Coords));
            Assert.NotSame(face.Coords, o.Face.Coords);
            Assert.Equal(Keypoints.PixelCount, o.Face.Pixels.Length);
        }, iter: 200);
    }

    [Fact]
    public void Photometric_values_saturate_and_behave()
    {
        byte[] img = [0, 1, 100, 200, 255];
        var m = img.ToArray(); Photometric.Multiply(m, 1.5);
        Assert.Equal(new byte[] { 0, 2, 150, 255, 255 }, m);
        m = img.ToArray(); Photometric.Multiply(m, 0.6);
        Assert.Equal(new byte[] { 0, 1, 60, 120, 153 }, m);
        m = img.ToArray(); Photometric.Gamma(m, 1);
        Assert.Equal(img, m);

        var flat = Enumerable.Repeat((byte)77, Keypoints.PixelCount).ToArray();
        var f = flat.ToArray(); Photometric.Sharpen(f, 2); Assert.Equal(flat, f);
        f = flat.ToArray(); Photometric.Blur(f, 2); Assert.Equal(flat, f);
        f = flat.ToArray(); Photometric.ContrastStretch(f, 2, 98); Assert.Equal(flat, f);

        // Contrast stretch of a low-contrast ramp spans the full range.
        var ramp = new byte[Keypoints.PixelCount];
        for (var k = 0; k < ramp.Length; k++) ramp[k] = (byte)(100 + k % 50);
        Photometric.ContrastStretch(ramp, 0, 100);
        Assert.Equal(0, ramp.Min()); Assert.Equal(255, ramp.Max());

        // CLAHE spreads a narrow histogram and keeps order within a tile.
        var face = RandomFace(5).Pixels.Select(v => (byte)(120 + v / 32)).ToArray();
        var c = face.ToArray(); Photometric.Clahe(c, 0.03);
        Assert.True(c.Max() - c.Min() > face.Max() - face.Min());

        // Noise with σ = 0.03 of the range has about that spread.
        var n = Enumerable.Repeat((byte)128, Keypoints.PixelCount).ToArray();
        var rng = new Rng(3); Photometric.Noise(n, 0.03, ref rng);
        var sd = Math.Sqrt(n.Average(v => (v - 128.0) * (v - 128.0)));
        Assert.InRange(sd, 0.03 * 255 * 0.9, 0.03 * 255 * 1.1);
    }

    [Fact]
    public void Output_is_deterministic_and_does_not_depend_on_threads()
    {
        var spec = AugmentParams.SecondPlace with { Scales = [0.9, 1.1], Gamma = [0.8], Blur = [1] };
        var plans = Recipe.Variants(spec).AddRange(Recipe.Variants(AugmentParams.FlipRotateBrightness with { Mode = AugmentMode.Random, RandomDraws = 6 }));
        var faces = Enumerable.Range(0, 6).Select(s => RandomFace(s)).ToArray();
        var jobs = (from f in Enumerable.Range(0, faces.Length) from p in plans select (f, p)).ToArray();
        AugmentOutcome Run(int j) => Augmenter.Apply(faces[jobs[j].f], (UInt128)(jobs[j].f * 977 + 1), jobs[j].p, 1234);

        var sequential = Enumerable.Range(0, jobs.Length).Select(Run).ToArray();
        var parallel = new AugmentOutcome[jobs.Length];
        Parallel.For(0, jobs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, j => parallel[j] = Run(j));
        for (var j = 0; j < jobs.Length; j++)
        {
            Assert.Equal(sequential[j].VariantName, parallel[j].VariantName);
            Assert.Equal(sequential[j].DropReason, parallel[j].DropReason);
            Assert.Equal(sequential[j].Face?.Pixels, parallel[j].Face?.Pixels);
            if (sequential[j].Face is { } a) Assert.True(SameBits(a.Coords, parallel[j].Face!.Coords));
        }
        // Randomness is keyed on (seed, image, variant): another seed changes noisy/elastic outputs.
        var noisy = Plan(photo: [new PhotometricOp.Noise(0.05)]);
        var x = Augmenter.Apply(faces[0], 1, noisy, 1).Face!.Pixels;
        Assert.Equal(x, Augmenter.Apply(faces[0], 1, noisy, 1).Face!.Pixels);
        Assert.NotEqual(x, Augmenter.Apply(faces[0], 1, noisy, 2).Face!.Pixels);
        Assert.NotEqual(x, Augmenter.Apply(faces[0], 2, noisy, 1).Face!.Pixels);
        Assert.NotEqual(x, Augmenter.Apply(faces[0], 1, noisy with { Index = 1 }, 1).Face!.Pixels);
    }

    [Fact]
    public void Recipe_enumerates_grid_product_single_and_random()
    {
        var d = Recipe.Variants(AugmentParams.FlipRotateBrightness);
        Assert.Equal(2 * 7 * 5, d.Length);
        Assert.Equal(Enumerable.Range(0, d.Length), d.Select(p => p.Index));
        Assert.True(d[0].IsIdentity);
        Assert.Equal(d.Length, d.Select(p => p.Name).Distinct().Count());
        Assert.Contains(d, p => p.Name == "flip+rot(-13)+mul(1.2)");
        Assert.Equal(2 * 7 * 5 - 1, Recipe.Variants(AugmentParams.FlipRotateBrightness with { IncludeOriginal = false }).Length);

        var single = Recipe.Variants(AugmentParams.SecondPlace);
        // original + flip + 6 rotations + 4 shifts + 2 elastic + 4 brightness + contrast + clahe + noise + sharpen
        Assert.Equal(1 + 1 + 6 + 4 + 2 + 4 + 1 + 1 + 1 + 1, single.Length);

        var random = Recipe.Variants(AugmentParams.FlipRotateBrightness with { Mode = AugmentMode.Random, RandomDraws = 3 });
        Assert.Equal(4, random.Length);
        Assert.Null(random[0].Random);
        Assert.All(random.Skip(1), p => Assert.NotNull(p.Random));
        var o = Augmenter.Apply(RandomFace(1), 5, random[2], 7);
        Assert.StartsWith("random#2:", o.VariantName);
    }

    /// <summary>The stage's parameters as a pipeline file gives them: checked, defaults filled, bound to the recipe.</summary>
    private static AugmentParams FromPipeline(string json)
    {
        var given = JsonNode.Parse(json)!.AsObject();
        var schema = ParamSchema.Of<AugmentParams>();
        var values = schema.Decls.ToDictionary(d => d.Name, d => given[d.Name] is { } v
            ? d.Check(v).Match(x => x, why => throw new Xunit.Sdk.XunitException($"{d.Name}: {why}"))
            : d.Default);
        return schema.Bind<AugmentParams>(values);
    }

    [Fact]
    public void The_stage_parameters_are_the_recipe()
    {
        var spec = FromPipeline("""
            { "flip": true, "rotations": [-13, -9, -5, 5, 9, 13], "shifts": [2], "scales": [0.95],
              "elastic": [991, 8, 1201, 11], "brightness": [1.2, 1.5, 0.6, 0.8], "contrast": [2], "clahe": 0.03,
              "noise_sigma": [0.03], "sharpen": [1], "mode": "random", "random_draws": 8, "out_of_image": "mark-missing",
              "interpolation": "bicubic" }
            """);
        Assert.True(spec.Flip);
        Assert.Equal<double>([-13, -9, -5, 5, 9, 13], spec.Rotations);
        Assert.Equal<(double, double)>([(991, 8), (1201, 11)], spec.ElasticPairs);
        Assert.Equal(0.03, spec.Clahe);
        Assert.Equal(OutOfImagePolicy.MarkMissing, spec.OutOfImage);
        Assert.True(spec.Rules().IsSuccess);
        var plans = Recipe.Variants(spec);
        Assert.Equal(9, plans.Length); // the original and 8 random draws
        Assert.All(plans, p => Assert.Equal(OutOfImagePolicy.MarkMissing, p.OutOfImage));
        Assert.All(plans, p => Assert.Equal(Interpolation.Bicubic, p.Interpolation));
        Assert.Equal(2, Recipe.Variants(FromPipeline("{}")).Length); // the stage's defaults: original and flip

        // The rules name each bad parameter (and item) before anything runs.
        var bad = FromPipeline("""{ "elastic": [991, 8, 1201], "scales": [1, 0], "contrast": [50] }""").Rules().FailToSeq()
            .Select(p => $"{p.Param}: {p.Message}").ToList();
        Assert.Contains(bad, m => m.StartsWith("elastic: alpha,sigma pairs (an even count), found 3"));
        Assert.Contains(bad, m => m.StartsWith("scales: item 1: expected a factor > 0, found 0"));
        Assert.Contains(bad, m => m.StartsWith("contrast: item 0: expected a percentile in [0, 50), found 50"));
        Assert.Single(FromPipeline("""{ "elastic": [991, 0] }""").Rules().FailToSeq());
    }

    [Fact]
    public void Second_place_recipe_runs_end_to_end()
    {
        var plans = Recipe.Variants(AugmentParams.SecondPlace with { OutOfImage = OutOfImagePolicy.MarkMissing });
        var face = RandomFace(21, 20, 75);
        var outcomes = new ConcurrentBag<AugmentOutcome>();
        foreach (var p in plans) outcomes.Add(Augmenter.Apply(face, 99, p, 3));
        Assert.Equal(plans.Length, outcomes.Count);
        Assert.All(outcomes, o => Assert.True(o.Kept));
    }
}
