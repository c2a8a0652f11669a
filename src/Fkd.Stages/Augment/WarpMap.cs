using System.Collections.Concurrent;

namespace Fkd.Stages.Augment;

/// <summary>
/// Precomputed inverse map of one affine transform: for each output pixel, the source tap offset
/// (or −1 where the taps leave the grid and the border rule is needed) and the interpolation weights.
/// Maps are memoised per (inverse affine, interpolation) in a bounded process-wide cache; a map is a
/// pure function of its key and uses exactly the arithmetic of the on-the-fly path, so cached and
/// uncached warps produce identical bytes.
/// </summary>
internal sealed class WarpMap
{
    private const int N = Faces.Keypoints.ImageSide;
    private const int MaxCached = 512;
    private static readonly ConcurrentDictionary<(Affine2D, Interpolation), WarpMap> Cache = new();

    public readonly int[] Offset = new int[N * N];
    public readonly float[] Sx = new float[N * N];
    public readonly float[] Sy = new float[N * N];
    /// <summary>Bilinear: tx, ty per pixel. Bicubic: wx0..wx3, wy0..wy3 per pixel.</summary>
    public readonly float[] W;
    public readonly Interpolation Interpolation;

    /// <summary>The map for <paramref name="inv"/>, cached when there is room, else null (caller warps on the fly).</summary>
    public static WarpMap? Get(Affine2D inv, Interpolation interpolation)
    {
        if (Cache.TryGetValue((inv, interpolation), out var map)) return map;
        if (Cache.Count >= MaxCached) return null;
        return Cache.GetOrAdd((inv, interpolation), k => new WarpMap(k.Item1, k.Item2));
    }

    private WarpMap(Affine2D inv, Interpolation interpolation)
    {
        Interpolation = interpolation;
        W = new float[N * N * (interpolation == Interpolation.Bilinear ? 2 : 8)];
        float a = (float)inv.A, b = (float)inv.B, c = (float)inv.C, d = (float)inv.D, e = (float)inv.E, f = (float)inv.F;
        for (var j = 0; j < N; j++)
            for (var i = 0; i < N; i++)
            {
                var k = j * N + i;
                float px = i, py = j;
                var sx = a * px + b * py + c;
                var sy = d * px + e * py + f;
                Sx[k] = sx; Sy[k] = sy;
                int x0 = (int)(sx + 64f) - 64, y0 = (int)(sy + 64f) - 64;
                if (interpolation == Interpolation.Bilinear)
                {
                    var fast = (uint)x0 < N - 1 && (uint)y0 < N - 1 && sx >= 0 && sy >= 0;
                    Offset[k] = fast ? y0 * N + x0 : -1;
                    W[2 * k] = sx - x0; W[2 * k + 1] = sy - y0;
                }
                else
                {
                    var fast = x0 >= 1 && x0 <= N - 3 && y0 >= 1 && y0 <= N - 3;
                    Offset[k] = fast ? (y0 - 1) * N + x0 - 1 : -1;
                    Warp.CubicWeights(sx - x0, out W[8 * k], out W[8 * k + 1], out W[8 * k + 2], out W[8 * k + 3]);
                    Warp.CubicWeights(sy - y0, out W[8 * k + 4], out W[8 * k + 5], out W[8 * k + 6], out W[8 * k + 7]);
                }
            }
    }
}
