using System.Collections.Immutable;
using Fkd.Stages.Augment;
using Fkd.Stages.Faces;

namespace Fkd.Stages.Tests.Augment;

internal static class AugmentTestData
{
    public const int N = Keypoints.ImageSide;

    /// <summary>A face with pseudo-random pixels and keypoints in [lo, hi]; every 7th coordinate pair missing when <paramref name="withMissing"/>.</summary>
    public static Face RandomFace(int seed, float lo = 10, float hi = 85, bool withMissing = true)
    {
        var r = new Random(seed);
        var px = new byte[Keypoints.PixelCount];
        r.NextBytes(px);
        var c = new float[Keypoints.CoordCount];
        for (var k = 0; k < Keypoints.Count; k++)
        {
            var missing = withMissing && (k + seed) % 7 == 0;
            c[2 * k] = missing ? float.NaN : lo + (float)r.NextDouble() * (hi - lo);
            c[2 * k + 1] = missing ? float.NaN : lo + (float)r.NextDouble() * (hi - lo);
        }
        return new Face(seed, px, c);
    }

    /// <summary>Black image with a Gaussian blob (σ = 1 px, peak 255) centred at (x, y), keypoint 0 there, others missing.</summary>
    public static Face Blob(double x, double y)
    {
        var px = new byte[Keypoints.PixelCount];
        for (var j = 0; j < N; j++)
            for (var i = 0; i < N; i++)
            {
                var d2 = (i - x) * (i - x) + (j - y) * (j - y);
                px[j * N + i] = (byte)Math.Round(255 * Math.Exp(-d2 / 2));
            }
        var c = Face.MissingCoords();
        c[0] = (float)x; c[1] = (float)y;
        return new Face(1, px, c);
    }

    /// <summary>Intensity-weighted centroid of the pixels.</summary>
    public static (double X, double Y) Centroid(byte[] px)
    {
        double s = 0, sx = 0, sy = 0;
        for (var j = 0; j < N; j++)
            for (var i = 0; i < N; i++) { double v = px[j * N + i]; s += v; sx += v * i; sy += v * j; }
        return (sx / s, sy / s);
    }

    public static VariantPlan Plan(
        bool flip = false, ImmutableArray<GeometricOp> geo = default, ImmutableArray<PhotometricOp> photo = default,
        Interpolation interpolation = Interpolation.Bilinear, OutOfImagePolicy policy = OutOfImagePolicy.MarkMissing,
        BorderMode border = BorderMode.Replicate, int index = 0) =>
        new(index, flip, geo.IsDefault ? [] : geo, photo.IsDefault ? [] : photo, interpolation, border, 0, policy);

    public static bool SameBits(float[] a, float[] b)
    {
        if (a.Length != b.Length) return false;
        for (var k = 0; k < a.Length; k++)
            if (BitConverter.SingleToInt32Bits(a[k]) != BitConverter.SingleToInt32Bits(b[k])) return false;
        return true;
    }
}
