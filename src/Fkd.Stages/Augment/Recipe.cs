namespace Fkd.Stages.Augment;

/// <summary>What to do with a variant that moves a labelled keypoint outside the image area.</summary>
public enum OutOfImagePolicy
{
    /// <summary>Drop the whole variant.</summary>
    Drop,
    /// <summary>Keep the variant; the keypoint becomes missing (NaN) and is counted.</summary>
    MarkMissing,
}

/// <summary>Options a random draw picks from (see <see cref="AugmentMode.Random"/>).</summary>
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

/// <summary>Turns an <see cref="AugmentParams"/> recipe into its list of variants.</summary>
public static class Recipe
{
    /// <summary>Random mode: the chance a draw flips (when flip is on), takes one geometric option, takes one photometric option.</summary>
    public const double FlipProbability = 0.5, GeometricProbability = 0.75, PhotometricProbability = 0.5;

    /// <summary>
    /// The variants of a recipe, in a fixed order (the index seeds each variant's PRNG). The recipe's
    /// <see cref="AugmentParams.Rules"/> hold (spec validation checked them); pixels outside the grid
    /// take the nearest edge pixel.
    /// </summary>
    public static ImmutableArray<VariantPlan> Variants(AugmentParams spec)
    {
        var geo = GeometricOptions(spec);
        var photo = PhotometricOptions(spec);
        var plans = ImmutableArray.CreateBuilder<VariantPlan>();
        void Add(bool flip, ImmutableArray<GeometricOp> g, ImmutableArray<PhotometricOp> p, RandomChoices? r = null) =>
            plans.Add(new VariantPlan(plans.Count, flip, g, p, spec.Interpolation, BorderMode.Replicate, 0, spec.OutOfImage, r));

        switch (spec.Mode)
        {
            case AugmentMode.Grid when spec.Combine == CombineMode.Product:
                foreach (var flip in spec.Flip ? new[] { false, true } : [false])
                    for (var gi = -1; gi < geo.Length; gi++)
                        for (var pi = -1; pi < photo.Length; pi++)
                        {
                            if (!flip && gi < 0 && pi < 0 && !spec.IncludeOriginal) continue;
                            Add(flip, gi < 0 ? [] : [geo[gi]], pi < 0 ? [] : [photo[pi]]);
                        }
                break;
            case AugmentMode.Grid:
                if (spec.IncludeOriginal) Add(false, [], []);
                if (spec.Flip) Add(true, [], []);
                foreach (var g in geo) Add(false, [g], []);
                foreach (var p in photo) Add(false, [], [p]);
                break;
            case AugmentMode.Random:
                if (spec.IncludeOriginal) Add(false, [], []);
                var choices = new RandomChoices(spec.Flip, FlipProbability, geo, GeometricProbability, photo, PhotometricProbability);
                for (var d = 0; d < spec.RandomDraws; d++) Add(false, [], [], choices);
                break;
        }
        return plans.ToImmutable();
    }

    private static ImmutableArray<GeometricOp> GeometricOptions(AugmentParams spec)
    {
        var b = ImmutableArray.CreateBuilder<GeometricOp>();
        foreach (var r in spec.Rotations) b.Add(new GeometricOp.Rotate(r));
        foreach (var s in spec.Shifts)
        {
            b.Add(new GeometricOp.Shift(s, 0)); b.Add(new GeometricOp.Shift(-s, 0));
            b.Add(new GeometricOp.Shift(0, s)); b.Add(new GeometricOp.Shift(0, -s));
        }
        foreach (var s in spec.Scales) b.Add(new GeometricOp.Scale(s));
        foreach (var (alpha, sigma) in spec.ElasticPairs) b.Add(new GeometricOp.Elastic(alpha, sigma));
        return b.ToImmutable();
    }

    private static ImmutableArray<PhotometricOp> PhotometricOptions(AugmentParams spec)
    {
        var b = ImmutableArray.CreateBuilder<PhotometricOp>();
        foreach (var f in spec.Brightness) b.Add(new PhotometricOp.Multiply(f));
        foreach (var p in spec.Contrast) b.Add(new PhotometricOp.ContrastStretch(p, 100 - p));
        foreach (var g in spec.Gamma) b.Add(new PhotometricOp.Gamma(g));
        if (spec.Clahe > 0) b.Add(new PhotometricOp.Clahe(spec.Clahe));
        foreach (var s in spec.NoiseSigma) if (s > 0) b.Add(new PhotometricOp.Noise(s));
        foreach (var a in spec.Sharpen) b.Add(new PhotometricOp.Sharpen(a));
        foreach (var s in spec.Blur) if (s > 0) b.Add(new PhotometricOp.Blur(s));
        return b.ToImmutable();
    }
}
