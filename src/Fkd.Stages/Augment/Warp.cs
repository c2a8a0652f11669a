using System.Runtime.CompilerServices;

namespace Fkd.Stages.Augment;

/// <summary>Pixel interpolation used when resampling.</summary>
public enum Interpolation
{
    /// <summary>2x2 taps.</summary>
    Bilinear,
    /// <summary>4x4 taps, Keys cubic convolution with a = −0.5 (Catmull-Rom): interpolating, exact at pixel centres.</summary>
    Bicubic,
}

/// <summary>Value of source pixels outside the 96x96 grid.</summary>
public enum BorderMode
{
    /// <summary>Nearest edge pixel (clamp-to-edge).</summary>
    Replicate,
    /// <summary>A constant value.</summary>
    Constant,
}

/// <summary>
/// Inverse-mapping resampler. Output pixel centre p = (i, j) takes the source value at
/// <c>forward⁻¹(p + d(p))</c>, where d is an optional <see cref="DisplacementField"/> (zero when null).
/// Keypoints follow the same model through <see cref="Geometry"/>. Pure and allocation-free per call:
/// lattice maps (flips, integer shifts) are plain copies; other affine maps without a field use a
/// precomputed per-transform inverse map (offsets and weights, memoised by transform); with a field the
/// source positions are computed on the fly. All paths use the same float arithmetic and give the same bytes.
/// </summary>
public static class Warp
{
    private const int N = Faces.Keypoints.ImageSide;

    /// <summary>Resamples <paramref name="src"/> (96x96, row-major) into <paramref name="dst"/>.</summary>
    public static void Apply(
        ReadOnlySpan<byte> src, Span<byte> dst, Affine2D forward, DisplacementField? field,
        Interpolation interpolation, BorderMode border, byte borderValue)
    {
        if (src.Length != N * N || dst.Length != N * N) throw new ArgumentException("Images must be 96x96.");
        var inv = forward.Inverse();
        if (field is null && inv.IsLattice) { LatticeCopy(src, dst, inv, border, borderValue); return; }

        var constant = border == BorderMode.Constant;
        if (field is null && WarpMap.Get(inv, interpolation) is { } map) { ApplyMap(src, dst, map, constant, borderValue); return; }
        if (interpolation == Interpolation.Bilinear) BilinearAffine(src, dst, inv, field, constant, borderValue);
        else BicubicAffine(src, dst, inv, field, constant, borderValue);
    }

    private static unsafe void ApplyMap(ReadOnlySpan<byte> src, Span<byte> dst, WarpMap map, bool constant, byte borderValue)
    {
        fixed (byte* s = src)
        fixed (byte* o = dst)
        fixed (int* off = map.Offset)
        fixed (float* w = map.W)
        {
            if (map.Interpolation == Interpolation.Bilinear)
            {
                for (var k = 0; k < N * N; k++)
                {
                    var x = off[k];
                    float v;
                    if (x >= 0)
                    {
                        float tx = w[2 * k], ty = w[2 * k + 1];
                        var q = s + x;
                        float p00 = q[0], p10 = q[1], p01 = q[N], p11 = q[N + 1];
                        var top = p00 + tx * (p10 - p00);
                        var bottom = p01 + tx * (p11 - p01);
                        v = top + ty * (bottom - top);
                    }
                    else v = Bilinear(src, map.Sx[k], map.Sy[k], constant, borderValue);
                    o[k] = ToByte(v);
                }
            }
            else
            {
                for (var k = 0; k < N * N; k++)
                {
                    var x = off[k];
                    float v;
                    if (x >= 0)
                    {
                        var ww = w + 8 * k;
                        float wx0 = ww[0], wx1 = ww[1], wx2 = ww[2], wx3 = ww[3];
                        var q = s + x;
                        var r0 = wx0 * q[0] + wx1 * q[1] + wx2 * q[2] + wx3 * q[3]; q += N;
                        var r1 = wx0 * q[0] + wx1 * q[1] + wx2 * q[2] + wx3 * q[3]; q += N;
                        var r2 = wx0 * q[0] + wx1 * q[1] + wx2 * q[2] + wx3 * q[3]; q += N;
                        var r3 = wx0 * q[0] + wx1 * q[1] + wx2 * q[2] + wx3 * q[3];
                        v = ww[4] * r0 + ww[5] * r1 + ww[6] * r2 + ww[7] * r3;
                    }
                    else v = Bicubic(src, map.Sx[k], map.Sy[k], constant, borderValue);
                    o[k] = ToByte(v);
                }
            }
        }
    }

    private static unsafe void BilinearAffine(
        ReadOnlySpan<byte> src, Span<byte> dst, Affine2D inv, DisplacementField? field, bool constant, byte borderValue)
    {
        float a = (float)inv.A, b = (float)inv.B, c = (float)inv.C, d = (float)inv.D, e = (float)inv.E, f = (float)inv.F;
        fixed (byte* s = src)
        fixed (byte* o = dst)
        fixed (float* fx = field?.Dx)
        fixed (float* fy = field?.Dy)
        {
            var hasField = fx != null;
            for (var j = 0; j < N; j++)
            {
                var row = j * N;
                for (var i = 0; i < N; i++)
                {
                    float px = i, py = j;
                    if (hasField) { px += fx[row + i]; py += fy[row + i]; }
                    var sx = a * px + b * py + c;
                    var sy = d * px + e * py + f;
                    // Truncation of a positive number is floor; the fast path only needs sx, sy in [0, 95).
                    int x0 = (int)(sx + 64f) - 64, y0 = (int)(sy + 64f) - 64;
                    float v;
                    if ((uint)x0 < N - 1 && (uint)y0 < N - 1 && sx >= 0 && sy >= 0)
                    {
                        float tx = sx - x0, ty = sy - y0;
                        var q = s + y0 * N + x0;
                        float p00 = q[0], p10 = q[1], p01 = q[N], p11 = q[N + 1];
                        var top = p00 + tx * (p10 - p00);
                        var bottom = p01 + tx * (p11 - p01);
                        v = top + ty * (bottom - top);
                    }
                    else v = Bilinear(src, sx, sy, constant, borderValue);
                    o[row + i] = ToByte(v);
                }
            }
        }
    }

    private static unsafe void BicubicAffine(
        ReadOnlySpan<byte> src, Span<byte> dst, Affine2D inv, DisplacementField? field, bool constant, byte borderValue)
    {
        float a = (float)inv.A, b = (float)inv.B, c = (float)inv.C, d = (float)inv.D, e = (float)inv.E, f = (float)inv.F;
        fixed (byte* s = src)
        fixed (byte* o = dst)
        fixed (float* fx = field?.Dx)
        fixed (float* fy = field?.Dy)
        {
            var hasField = fx != null;
            for (var j = 0; j < N; j++)
            {
                var row = j * N;
                for (var i = 0; i < N; i++)
                {
                    float px = i, py = j;
                    if (hasField) { px += fx[row + i]; py += fy[row + i]; }
                    var sx = a * px + b * py + c;
                    var sy = d * px + e * py + f;
                    int x0 = (int)(sx + 64f) - 64, y0 = (int)(sy + 64f) - 64;
                    float v;
                    if (x0 >= 1 && x0 <= N - 3 && y0 >= 1 && y0 <= N - 3)
                    {
                        CubicWeights(sx - x0, out var wx0, out var wx1, out var wx2, out var wx3);
                        CubicWeights(sy - y0, out var wy0, out var wy1, out var wy2, out var wy3);
                        var q = s + (y0 - 1) * N + x0 - 1;
                        var r0 = wx0 * q[0] + wx1 * q[1] + wx2 * q[2] + wx3 * q[3]; q += N;
                        var r1 = wx0 * q[0] + wx1 * q[1] + wx2 * q[2] + wx3 * q[3]; q += N;
                        var r2 = wx0 * q[0] + wx1 * q[1] + wx2 * q[2] + wx3 * q[3]; q += N;
                        var r3 = wx0 * q[0] + wx1 * q[1] + wx2 * q[2] + wx3 * q[3];
                        v = wy0 * r0 + wy1 * r1 + wy2 * r2 + wy3 * r3;
                    }
                    else v = Bicubic(src, sx, sy, constant, borderValue);
                    o[row + i] = ToByte(v);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static byte ToByte(float v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)(int)(v + 0.5f);

    private static void LatticeCopy(ReadOnlySpan<byte> src, Span<byte> dst, Affine2D inv, BorderMode border, byte borderValue)
    {
        int a = (int)inv.A, b = (int)inv.B, c = (int)inv.C, d = (int)inv.D, e = (int)inv.E, f = (int)inv.F;
        for (var j = 0; j < N; j++)
            for (var i = 0; i < N; i++)
            {
                int sx = a * i + b * j + c, sy = d * i + e * j + f;
                dst[j * N + i] = Fetch(src, sx, sy, border == BorderMode.Constant, borderValue);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Fetch(ReadOnlySpan<byte> src, int x, int y, bool constant, byte value)
    {
        if ((uint)x < N && (uint)y < N) return src[y * N + x];
        if (constant) return value;
        return src[Math.Clamp(y, 0, N - 1) * N + Math.Clamp(x, 0, N - 1)];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Bilinear(ReadOnlySpan<byte> src, float sx, float sy, bool constant, byte value)
    {
        var x0f = MathF.Floor(sx); var y0f = MathF.Floor(sy);
        float tx = sx - x0f, ty = sy - y0f;
        if (!(x0f > -3e4f && x0f < 3e4f && y0f > -3e4f && y0f < 3e4f)) return constant ? value : src[0];
        int x0 = (int)x0f, y0 = (int)y0f;
        float p00, p10, p01, p11;
        if ((uint)x0 < N - 1 && (uint)y0 < N - 1)
        {
            var k = y0 * N + x0;
            p00 = src[k]; p10 = src[k + 1]; p01 = src[k + N]; p11 = src[k + N + 1];
        }
        else
        {
            p00 = Fetch(src, x0, y0, constant, value); p10 = Fetch(src, x0 + 1, y0, constant, value);
            p01 = Fetch(src, x0, y0 + 1, constant, value); p11 = Fetch(src, x0 + 1, y0 + 1, constant, value);
        }
        var top = p00 + tx * (p10 - p00);
        var bottom = p01 + tx * (p11 - p01);
        return top + ty * (bottom - top);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CubicWeights(float t, out float w0, out float w1, out float w2, out float w3)
    {
        // Keys (1981) kernel with a = -0.5, taps at offsets -1, 0, 1, 2.
        const float A = -0.5f;
        var t2 = t * t; var t3 = t2 * t;
        w0 = A * (t3 - 2 * t2 + t);
        w1 = (A + 2) * t3 - (A + 3) * t2 + 1;
        var u = 1 - t; var u2 = u * u; var u3 = u2 * u;
        w2 = (A + 2) * u3 - (A + 3) * u2 + 1;
        w3 = A * (u3 - 2 * u2 + u);
    }

    private static float Bicubic(ReadOnlySpan<byte> src, float sx, float sy, bool constant, byte value)
    {
        var x0f = MathF.Floor(sx); var y0f = MathF.Floor(sy);
        if (!(x0f > -3e4f && x0f < 3e4f && y0f > -3e4f && y0f < 3e4f)) return constant ? value : src[0];
        int x0 = (int)x0f, y0 = (int)y0f;
        CubicWeights(sx - x0f, out var wx0, out var wx1, out var wx2, out var wx3);
        CubicWeights(sy - y0f, out var wy0, out var wy1, out var wy2, out var wy3);
        float acc = 0;
        if (x0 >= 1 && x0 <= N - 3 && y0 >= 1 && y0 <= N - 3)
        {
            var k = (y0 - 1) * N + x0 - 1;
            acc += wy0 * (wx0 * src[k] + wx1 * src[k + 1] + wx2 * src[k + 2] + wx3 * src[k + 3]); k += N;
            acc += wy1 * (wx0 * src[k] + wx1 * src[k + 1] + wx2 * src[k + 2] + wx3 * src[k + 3]); k += N;
            acc += wy2 * (wx0 * src[k] + wx1 * src[k + 1] + wx2 * src[k + 2] + wx3 * src[k + 3]); k += N;
            acc += wy3 * (wx0 * src[k] + wx1 * src[k + 1] + wx2 * src[k + 2] + wx3 * src[k + 3]);
            return acc;
        }
        Span<float> wy = [wy0, wy1, wy2, wy3];
        for (var r = 0; r < 4; r++)
        {
            var y = y0 - 1 + r;
            acc += wy[r] * (wx0 * Fetch(src, x0 - 1, y, constant, value) + wx1 * Fetch(src, x0, y, constant, value)
                          + wx2 * Fetch(src, x0 + 1, y, constant, value) + wx3 * Fetch(src, x0 + 2, y, constant, value));
        }
        return acc;
    }
}
