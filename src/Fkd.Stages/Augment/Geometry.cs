namespace Fkd.Stages.Augment;

/// <summary>
/// Keypoint side of the geometric model (the pixel side is <see cref="Warp"/>): a keypoint k goes to
/// q = forward(k), then, with an elastic field, to the output p solving p + d(p) = q
/// (<see cref="DisplacementField.Invert"/>). An orientation-reversing map (determinant &lt; 0, i.e. a
/// mirror) swaps left/right keypoints with <see cref="Keypoints.FlipPermutation"/>.
/// </summary>
public static class Geometry
{
    /// <summary>Lowest coordinate inside the image area (edge of pixel 0).</summary>
    public const double MinInside = -0.5;
    /// <summary>Highest coordinate inside the image area (edge of pixel 95).</summary>
    public const double MaxInside = Keypoints.ImageSide - 0.5;

    /// <summary>True when (x, y) lies in the image area [−0.5, 95.5]².</summary>
    public static bool IsInside(double x, double y) =>
        x >= MinInside && x <= MaxInside && y >= MinInside && y <= MaxInside;

    /// <summary>
    /// Maps 30 coords (NaN = missing; a keypoint is missing if either coordinate is NaN) into
    /// <paramref name="dst"/>. Keypoints that land outside the image, or whose elastic inverse does not
    /// converge, become NaN and are flagged in <paramref name="lost"/> (indexed by OUTPUT keypoint).
    /// Returns the number lost. When the map is the identity and there is no field, coords are copied bit for bit.
    /// </summary>
    public static int TransformKeypoints(
        ReadOnlySpan<float> src, Span<float> dst, Affine2D forward, DisplacementField? field, Span<bool> lost)
    {
        if (src.Length != Keypoints.CoordCount || dst.Length != Keypoints.CoordCount || lost.Length < Keypoints.Count)
            throw new ArgumentException("Expected 30 coords and 15 flags.");
        lost.Slice(0, Keypoints.Count).Clear();
        if (field is null && forward == Affine2D.Identity) { src.CopyTo(dst); return 0; }
        var swap = forward.Determinant < 0;
        var perm = Keypoints.FlipPermutation;
        var n = 0;
        for (var k = 0; k < Keypoints.Count; k++)
        {
            var o = swap ? perm[k] : k;
            float x = src[2 * k], y = src[2 * k + 1];
            if (float.IsNaN(x) || float.IsNaN(y)) { dst[2 * o] = float.NaN; dst[2 * o + 1] = float.NaN; continue; }
            var (qx, qy) = forward.Apply(x, y);
            var ok = true;
            if (field is not null) ok = field.Invert(qx, qy, out qx, out qy);
            if (!ok || !IsInside(qx, qy))
            {
                dst[2 * o] = float.NaN; dst[2 * o + 1] = float.NaN; lost[o] = true; n++;
                continue;
            }
            dst[2 * o] = (float)qx; dst[2 * o + 1] = (float)qy;
        }
        return n;
    }
}
