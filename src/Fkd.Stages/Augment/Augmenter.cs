namespace Fkd.Stages.Augment;

/// <summary>
/// Result of applying one variant to one face: either <see cref="Face"/> (the augmented face, same Id)
/// or a <see cref="DropReason"/>. <see cref="MarkedMissing"/> counts labelled keypoints turned into NaN
/// under <see cref="OutOfImagePolicy.MarkMissing"/>.
/// </summary>
public sealed record AugmentOutcome(int VariantIndex, string VariantName, Face? Face, string? DropReason, int MarkedMissing)
{
    public bool Kept => Face is not null;
}

/// <summary>
/// Applies a <see cref="VariantPlan"/> to a face. Pure and deterministic: the only randomness (random
/// draws, elastic fields, noise) comes from <see cref="Rng.For"/>(seed, imageHash, variant index), so the
/// output bytes do not depend on threads or on other calls.
/// </summary>
public static class Augmenter
{
    public static AugmentOutcome Apply(Face face, UInt128 imageHash, VariantPlan v, long seed)
    {
        if (face.Pixels.Length != Keypoints.PixelCount || face.Coords.Length != Keypoints.CoordCount)
            throw new ArgumentException("A face has 9,216 pixels and 30 coords.");
        var rng = Rng.For(seed, imageHash, v.Index);
        var plan = v.Random is null ? v : Resolve(v, ref rng);
        var name = v.Random is null ? v.Name : $"random#{v.Index}:{plan.Name}";

        var forward = plan.Flip ? Affine2D.FlipHorizontal : Affine2D.Identity;
        DisplacementField? field = null;
        foreach (var g in plan.Geometric)
        {
            if (g is GeometricOp.Elastic e)
            {
                if (field is not null) throw new ArgumentException("At most one elastic op per variant.");
                field = DisplacementField.Random(e.Alpha, e.Sigma, ref rng);
            }
            else
            {
                if (field is not null) throw new ArgumentException("The elastic op must come last.");
                forward = forward.Then(g.ToAffine());
            }
        }

        // Keypoints first: a dropped variant costs no pixel work.
        var coords = new float[Keypoints.CoordCount];
        Span<bool> lost = stackalloc bool[Keypoints.Count];
        var nLost = Geometry.TransformKeypoints(face.Coords, coords, forward, field, lost);
        if (nLost > 0 && plan.OutOfImage == OutOfImagePolicy.Drop)
        {
            var first = lost.IndexOf(true);
            return new AugmentOutcome(v.Index, name, null,
                $"{nLost} keypoint(s) left the image (first: {Keypoints.Names[first]})", 0);
        }

        var pixels = new byte[Keypoints.PixelCount];
        if (field is null && forward == Affine2D.Identity) face.Pixels.CopyTo(pixels, 0);
        else Warp.Apply(face.Pixels, pixels, forward, field, plan.Interpolation, plan.Border, plan.BorderValue);
        foreach (var p in plan.Photometric) Photometric.Apply(pixels, p, ref rng);

        return new AugmentOutcome(v.Index, name, face with { Pixels = pixels, Coords = coords }, null, nLost);
    }

    /// <summary>Draws the concrete flip/ops of a random variant.</summary>
    private static VariantPlan Resolve(VariantPlan v, ref Rng rng)
    {
        var c = v.Random!;
        var flip = c.Flip && rng.NextDouble() < c.FlipProbability;
        var geo = !c.Geometric.IsEmpty && rng.NextDouble() < c.GeometricProbability
            ? ImmutableArray.Create(c.Geometric[rng.NextInt(c.Geometric.Length)]) : [];
        var photo = !c.Photometric.IsEmpty && rng.NextDouble() < c.PhotometricProbability
            ? ImmutableArray.Create(c.Photometric[rng.NextInt(c.Photometric.Length)]) : [];
        return v with { Flip = flip, Geometric = geo, Photometric = photo, Random = null };
    }
}
