namespace Fkd.Stages.Augment;

/// <summary>
/// An elastic deformation as a displacement field defined on OUTPUT pixel centres: output pixel p
/// takes its value from (pre-elastic) position <c>p + d(p)</c> (inverse mapping, as in Simard et al. 2003
/// and the usual scipy <c>map_coordinates</c> implementation).
/// <para>
/// Between pixel centres d is the bilinear interpolation of the grid values (clamped at the border),
/// which makes it a continuous map. A keypoint at pre-elastic position k therefore moves to the output
/// position p solving <c>p + d(p) = k</c>; <see cref="Invert"/> finds it with Newton iterations on the
/// interpolated field (Jacobian I + ∇d), falling back to damped fixed-point steps p ← k − d(p).
/// </para>
/// </summary>
public sealed class DisplacementField
{
    private const int N = Faces.Keypoints.ImageSide;

    /// <summary>x displacement per output pixel, row-major, 9,216 values.</summary>
    public float[] Dx { get; }
    /// <summary>y displacement per output pixel, row-major, 9,216 values.</summary>
    public float[] Dy { get; }

    public DisplacementField(float[] dx, float[] dy)
    {
        if (dx.Length != N * N || dy.Length != N * N) throw new ArgumentException("Fields must be 96x96.");
        Dx = dx; Dy = dy;
    }

    /// <summary>
    /// Simard's random elastic field: independent uniform(−1, 1) values per pixel, smoothed with a
    /// Gaussian of <paramref name="sigma"/> pixels (kernel truncated at 4σ, zero outside the image,
    /// like scipy's <c>gaussian_filter(mode="constant")</c>), times <paramref name="alpha"/>.
    /// </summary>
    public static DisplacementField Random(double alpha, double sigma, ref Rng rng)
    {
        var dx = new float[N * N]; var dy = new float[N * N];
        for (var k = 0; k < dx.Length; k++) dx[k] = (float)(2 * rng.NextDouble() - 1);
        for (var k = 0; k < dy.Length; k++) dy[k] = (float)(2 * rng.NextDouble() - 1);
        Filters.GaussianSmooth(dx, (float)sigma, zeroBorder: true);
        Filters.GaussianSmooth(dy, (float)sigma, zeroBorder: true);
        var a = (float)alpha;
        for (var k = 0; k < dx.Length; k++) { dx[k] *= a; dy[k] *= a; }
        return new DisplacementField(dx, dy);
    }

    /// <summary>Bilinear interpolation of the field at (x, y) with its partial derivatives.</summary>
    public (double Dx, double Dy, double DxDx, double DxDy, double DyDx, double DyDy) Sample(double x, double y)
    {
        var cx = Math.Clamp(x, 0, N - 1); var cy = Math.Clamp(y, 0, N - 1);
        var x0 = Math.Min((int)Math.Floor(cx), N - 2); var y0 = Math.Min((int)Math.Floor(cy), N - 2);
        double tx = cx - x0, ty = cy - y0;
        var k = y0 * N + x0;
        // Outside the grid the field is constant (clamped), so its derivative across that axis is 0.
        var inX = x >= 0 && x <= N - 1; var inY = y >= 0 && y <= N - 1;
        var (u, ux, uy) = Bilin(Dx, k, tx, ty);
        var (v, vx, vy) = Bilin(Dy, k, tx, ty);
        return (u, v, inX ? ux : 0, inY ? uy : 0, inX ? vx : 0, inY ? vy : 0);
    }

    private static (double V, double Gx, double Gy) Bilin(float[] f, int k, double tx, double ty)
    {
        double p00 = f[k], p10 = f[k + 1], p01 = f[k + N], p11 = f[k + N + 1];
        var top = p00 + tx * (p10 - p00); var bottom = p01 + tx * (p11 - p01);
        var v = top + ty * (bottom - top);
        var gx = (p10 - p00) * (1 - ty) + (p11 - p01) * ty;
        var gy = bottom - top;
        return (v, gx, gy);
    }

    /// <summary>
    /// Solves <c>p + d(p) = (kx, ky)</c> for the output position p of a point at (kx, ky) before the
    /// deformation. Returns false if no solution within 1e-3 px was found (e.g. a fold in an extreme field).
    /// </summary>
    public bool Invert(double kx, double ky, out double px, out double py)
    {
        px = kx; py = ky;
        for (var it = 0; it < 60; it++)
        {
            var s = Sample(px, py);
            double rx = px + s.Dx - kx, ry = py + s.Dy - ky;
            if (rx * rx + ry * ry < 1e-10) return true;
            double j11 = 1 + s.DxDx, j12 = s.DxDy, j21 = s.DyDx, j22 = 1 + s.DyDy;
            var det = j11 * j22 - j12 * j21;
            double stepX, stepY;
            if (Math.Abs(det) > 1e-6)
            {
                stepX = (j22 * rx - j12 * ry) / det;
                stepY = (-j21 * rx + j11 * ry) / det;
                // Keep Newton steps local: the field is only piecewise bilinear.
                var len = Math.Sqrt(stepX * stepX + stepY * stepY);
                if (len > 2) { stepX *= 2 / len; stepY *= 2 / len; }
            }
            else { stepX = 0.5 * rx; stepY = 0.5 * ry; }
            px -= stepX; py -= stepY;
        }
        var f = Sample(px, py);
        double ex = px + f.Dx - kx, ey = py + f.Dy - ky;
        return ex * ex + ey * ey < 1e-6;
    }
}
