using System.Collections.Immutable;

namespace Fkd.Stages.Augment;

/// <summary>What to do with a variant that moves a labelled keypoint outside the image area.</summary>
public enum OutOfImagePolicy
{
    /// <summary>Drop the whole variant.</summary>
    Drop,
    /// <summary>Keep the variant; the keypoint becomes missing (NaN) and is counted.</summary>
    MarkMissing,
}

/// <summary>Options a random draw picks from (see <see cref="AugmentSpec.Mode"/> "random").</summary>
public sealed record RandomChoices(
    bool Flip, double FlipProbability,
    ImmutableArray<GeometricOp> Geometric, double GeometricProbability,
    ImmutableArray<PhotometricOp> Photometric, double PhotometricProbability);

/// <summary>
/// One variant of an image: flip first, then the geometric ops in order (affine ones composed into a
/// single <see cref="Affine2D"/>, an <see cref="GeometricOp.Elastic"/> applied last, at most one), then
/// the photometric ops in order. <see cref="Index"/> (position in the recipe) seeds the variant's PRNG.
/// When <see cref="Random"/> is set, flip and ops are drawn per image by <see cref="Augmenter.Apply"/>.
/// </summary>
public sealed record VariantPlan(
    int Index,
    bool Flip,
    ImmutableArray<GeometricOp> Geometric,
    ImmutableArray<PhotometricOp> Photometric,
    Interpolation Interpolation,
    BorderMode Border,
    byte BorderValue,
    OutOfImagePolicy OutOfImage,
    RandomChoices? Random = null)
{
    /// <summary>Readable name, e.g. "flip+rot(-13)+mul(1.2)", "original" or "random#3".</summary>
    public string Name
    {
        get
        {
            if (Random is not null) return $"random#{Index}";
            var parts = new List<string>();
            if (Flip) parts.Add("flip");
            foreach (var g in Geometric) parts.Add(g.ToString());
            foreach (var p in Photometric) parts.Add(p.ToString());
            return parts.Count == 0 ? "original" : string.Join('+', parts);
        }
    }

    public bool IsIdentity => Random is null && !Flip && Geometric.IsEmpty && Photometric.IsEmpty;
}

/// <summary>Turns an <see cref="AugmentSpec"/> into its list of variants.</summary>
public static class Recipe
{
    /// <summary>
    /// The variants of <paramref name="spec"/>, in a fixed order (the index seeds each variant's PRNG).
    /// Throws <see cref="ArgumentException"/> for unknown mode/policy/interpolation names or bad values.
    /// </summary>
    public static ImmutableArray<VariantPlan> Variants(AugmentSpec spec)
    {
        var interpolation = spec.Interpolation.ToLowerInvariant() switch
        {
            "bilinear" => Interpolation.Bilinear,
            "bicubic" => Interpolation.Bicubic,
            var s => throw new ArgumentException($"Unknown interpolation '{s}' (bilinear | bicubic)."),
        };
        var border = spec.Border.ToLowerInvariant() switch
        {
            "replicate" => BorderMode.Replicate,
            "constant" => BorderMode.Constant,
            var s => throw new ArgumentException($"Unknown border '{s}' (replicate | constant)."),
        };
        var policy = spec.OutOfImage.ToLowerInvariant() switch
        {
            "drop" => OutOfImagePolicy.Drop,
            "mark-missing" => OutOfImagePolicy.MarkMissing,
            var s => throw new ArgumentException($"Unknown out-of-image policy '{s}' (drop | mark-missing)."),
        };
        var geo = GeometricOptions(spec);
        var photo = PhotometricOptions(spec);
        var plans = ImmutableArray.CreateBuilder<VariantPlan>();
        void Add(bool flip, ImmutableArray<GeometricOp> g, ImmutableArray<PhotometricOp> p, RandomChoices? r = null) =>
            plans.Add(new VariantPlan(plans.Count, flip, g, p, interpolation, border, spec.BorderValue, policy, r));

        switch (spec.Mode.ToLowerInvariant())
        {
            case "grid":
                switch (spec.Combine.ToLowerInvariant())
                {
                    case "product":
                        foreach (var flip in spec.Flip ? new[] { false, true } : [false])
                            for (var gi = -1; gi < geo.Length; gi++)
                                for (var pi = -1; pi < photo.Length; pi++)
                                {
                                    if (!flip && gi < 0 && pi < 0 && !spec.IncludeOriginal) continue;
                                    Add(flip, gi < 0 ? [] : [geo[gi]], pi < 0 ? [] : [photo[pi]]);
                                }
                        break;
                    case "single":
                        if (spec.IncludeOriginal) Add(false, [], []);
                        if (spec.Flip) Add(true, [], []);
                        foreach (var g in geo) Add(false, [g], []);
                        foreach (var p in photo) Add(false, [], [p]);
                        break;
                    default:
                        throw new ArgumentException($"Unknown combine '{spec.Combine}' (product | single).");
                }
                break;
            case "random":
                if (spec.RandomDraws < 0) throw new ArgumentException("RandomDraws must be >= 0.");
                CheckProbability(spec.FlipProbability, nameof(spec.FlipProbability));
                CheckProbability(spec.GeometricProbability, nameof(spec.GeometricProbability));
                CheckProbability(spec.PhotometricProbability, nameof(spec.PhotometricProbability));
                if (spec.IncludeOriginal) Add(false, [], []);
                var choices = new RandomChoices(spec.Flip, spec.FlipProbability, geo, spec.GeometricProbability,
                    photo, spec.PhotometricProbability);
                for (var d = 0; d < spec.RandomDraws; d++) Add(false, [], [], choices);
                break;
            default:
                throw new ArgumentException($"Unknown mode '{spec.Mode}' (grid | random).");
        }
        return plans.ToImmutable();
    }

    private static void CheckProbability(double p, string name)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"{name} must be in [0, 1].");
    }

    private static ImmutableArray<GeometricOp> GeometricOptions(AugmentSpec spec)
    {
        var b = ImmutableArray.CreateBuilder<GeometricOp>();
        foreach (var r in spec.Rotations ?? []) b.Add(new GeometricOp.Rotate(r));
        foreach (var s in spec.Shifts ?? [])
        {
            b.Add(new GeometricOp.Shift(s, 0)); b.Add(new GeometricOp.Shift(-s, 0));
            b.Add(new GeometricOp.Shift(0, s)); b.Add(new GeometricOp.Shift(0, -s));
        }
        foreach (var s in spec.Scales ?? [])
        {
            if (!(s > 0)) throw new ArgumentException("Scales must be > 0.");
            b.Add(new GeometricOp.Scale(s));
        }
        foreach (var e in spec.Elastic ?? [])
        {
            if (!(e.Sigma > 0)) throw new ArgumentException("Elastic sigma must be > 0.");
            b.Add(new GeometricOp.Elastic(e.Alpha, e.Sigma));
        }
        return b.ToImmutable();
    }

    private static ImmutableArray<PhotometricOp> PhotometricOptions(AugmentSpec spec)
    {
        var b = ImmutableArray.CreateBuilder<PhotometricOp>();
        foreach (var f in spec.Brightness ?? [])
        {
            if (!(f >= 0)) throw new ArgumentException("Brightness factors must be >= 0.");
            b.Add(new PhotometricOp.Multiply(f));
        }
        foreach (var p in spec.Contrast ?? [])
        {
            if (!(p >= 0 && p < 50)) throw new ArgumentException("Contrast percentiles must be in [0, 50).");
            b.Add(new PhotometricOp.ContrastStretch(p, 100 - p));
        }
        foreach (var g in spec.Gamma ?? [])
        {
            if (!(g > 0)) throw new ArgumentException("Gamma exponents must be > 0.");
            b.Add(new PhotometricOp.Gamma(g));
        }
        if (spec.Clahe is { } clip && clip > 0) b.Add(new PhotometricOp.Clahe(clip));
        foreach (var s in spec.NoiseSigma ?? []) if (s > 0) b.Add(new PhotometricOp.Noise(s));
        foreach (var a in spec.Sharpen ?? []) b.Add(new PhotometricOp.Sharpen(a));
        foreach (var s in spec.Blur ?? []) if (s > 0) b.Add(new PhotometricOp.Blur(s));
        return b.ToImmutable();
    }
}
