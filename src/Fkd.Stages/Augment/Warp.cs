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
/// Keypoints follow the same model through <see cref="Geometry"/>. Pure, allocation-free.
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

        float a = (float)inv.A, b = (float)inv.B, c = (float)inv.C, d = (float)inv.D, e = (float)inv.E, f = (float)inv.F;
        var constant = border == BorderMode.Constant;
        ReadOnlySpan<float> fx = field is null ? default : field.Dx;
        ReadOnlySpan<float> fy = field is null ? default : field.Dy;
        var hasField = field is not null;
        for (var j = 0; j < N; j++)
        {
            var row = j * N;
            for (var i = 0; i < N; i++)
            {
                float px = i, py = j;
                if (hasField) { px += fx[row + i]; py += fy[row + i]; }
                var sx = a * px + b * py + c;
                var sy = d * px + e * py + f;
                var v = interpolation == Interpolation.Bilinear
                    ? Bilinear(src, sx, sy, constant, borderValue)
                    : Bicubic(src, sx, sy, constant, borderValue);
                dst[row + i] = ToByte(v);
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
    private static void CubicWeights(float t, out float w0, out float w1, out float w2, out float w3)
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
