using System.Buffers;

namespace Fkd.Stages.Augment;

/// <summary>
/// Intensity-only transforms on a 96x96 byte image, in place. Every result is clamped to 0..255 and
/// rounded to the nearest integer. They never touch keypoints.
/// </summary>
public static class Photometric
{
    private const int N = Faces.Keypoints.ImageSide;

    /// <summary>Applies one operation. <paramref name="rng"/> is used only by <see cref="PhotometricOp.Noise"/>.</summary>
    public static void Apply(Span<byte> img, PhotometricOp op, ref Rng rng)
    {
        switch (op)
        {
            case PhotometricOp.Multiply m: Multiply(img, m.Factor); break;
            case PhotometricOp.ContrastStretch c: ContrastStretch(img, c.LowPercentile, c.HighPercentile); break;
            case PhotometricOp.Gamma g: Gamma(img, g.Exponent); break;
            case PhotometricOp.Clahe c: Clahe(img, c.ClipLimit, c.TilesPerSide); break;
            case PhotometricOp.Noise n: Noise(img, n.Sigma, ref rng); break;
            case PhotometricOp.Sharpen s: Sharpen(img, s.Amount); break;
            case PhotometricOp.Blur b: Blur(img, b.Sigma); break;
            default: throw new ArgumentException($"Unknown photometric op {op}.");
        }
    }

    private static void ApplyLut(Span<byte> img, ReadOnlySpan<byte> lut)
    {
        for (var k = 0; k < img.Length; k++) img[k] = lut[img[k]];
    }

    /// <summary>Brightness (factor &gt; 1) or dimming (factor &lt; 1): v → v·factor.</summary>
    public static void Multiply(Span<byte> img, double factor)
    {
        Span<byte> lut = stackalloc byte[256];
        for (var v = 0; v < 256; v++) lut[v] = Warp.ToByte((float)(v * factor));
        ApplyLut(img, lut);
    }

    /// <summary>Linear stretch of the [low, high] percentile range onto 0..255 (skimage rescale_intensity with percentiles). No-op on a flat image.</summary>
    public static void ContrastStretch(Span<byte> img, double lowPercentile, double highPercentile)
    {
        Span<int> hist = stackalloc int[256];
        for (var k = 0; k < img.Length; k++) hist[img[k]]++;
        var lo = Percentile(hist, img.Length, lowPercentile);
        var hi = Percentile(hist, img.Length, highPercentile);
        if (hi <= lo) return;
        Span<byte> lut = stackalloc byte[256];
        for (var v = 0; v < 256; v++) lut[v] = Warp.ToByte((float)((v - lo) * 255.0 / (hi - lo)));
        ApplyLut(img, lut);
    }

    private static int Percentile(ReadOnlySpan<int> hist, int count, double pct)
    {
        var target = Math.Clamp(pct, 0, 100) / 100.0 * (count - 1);
        var seen = 0;
        for (var v = 0; v < 256; v++) { seen += hist[v]; if (seen > target) return v; }
        return 255;
    }

    /// <summary>v → 255·(v/255)^exponent.</summary>
    public static void Gamma(Span<byte> img, double exponent)
    {
        Span<byte> lut = stackalloc byte[256];
        for (var v = 0; v < 256; v++) lut[v] = Warp.ToByte((float)(255 * Math.Pow(v / 255.0, exponent)));
        ApplyLut(img, lut);
    }

    /// <summary>
    /// Contrast-limited adaptive histogram equalisation, after skimage's equalize_adapthist: the image is
    /// split into <paramref name="tilesPerSide"/>² tiles (8 → 12x12 px, skimage's default kernel of 1/8 the
    /// image side); each tile's 256-bin histogram is clipped at max(1, ⌊clipLimit·tilePixels⌋) counts
    /// (clipLimit is normalised like skimage's, e.g. 0.03), the excess redistributed uniformly, and its CDF
    /// scaled to 0..255 becomes the tile's mapping. Each pixel blends the mappings of the four nearest tile
    /// centres bilinearly (edge pixels use the nearest tiles).
    /// </summary>
    public static void Clahe(Span<byte> img, double clipLimit, int tilesPerSide = 8)
    {
        if (tilesPerSide < 1 || N % tilesPerSide != 0) throw new ArgumentException("tilesPerSide must divide 96.");
        var t = tilesPerSide; var side = N / t; var tilePixels = side * side;
        var clim = Math.Max(1, (int)Math.Floor(clipLimit * tilePixels));
        var lutsArr = ArrayPool<byte>.Shared.Rent(t * t * 256);
        try
        {
            var luts = lutsArr.AsSpan(0, t * t * 256);
            Span<int> hist = stackalloc int[256];
            for (var ty = 0; ty < t; ty++)
                for (var tx = 0; tx < t; tx++)
                {
                    hist.Clear();
                    for (var y = ty * side; y < (ty + 1) * side; y++)
                        for (var x = tx * side; x < (tx + 1) * side; x++) hist[img[y * N + x]]++;
                    ClipHistogram(hist, clim);
                    var lut = luts.Slice((ty * t + tx) * 256, 256);
                    var cum = 0;
                    for (var v = 0; v < 256; v++)
                    {
                        cum += hist[v];
                        lut[v] = Warp.ToByte((float)(cum * 255.0 / tilePixels));
                    }
                }
            for (var y = 0; y < N; y++)
            {
                var gy = (y + 0.5f) / side - 0.5f;
                var y0 = (int)MathF.Floor(gy); var wy = gy - y0;
                var y1 = Math.Min(y0 + 1, t - 1); y0 = Math.Max(y0, 0);
                if (gy < 0) wy = 0; else if (gy > t - 1) wy = 0;
                for (var x = 0; x < N; x++)
                {
                    var gx = (x + 0.5f) / side - 0.5f;
                    var x0 = (int)MathF.Floor(gx); var wx = gx - x0;
                    var x1 = Math.Min(x0 + 1, t - 1); x0 = Math.Max(x0, 0);
                    if (gx < 0) wx = 0; else if (gx > t - 1) wx = 0;
                    var v = img[y * N + x];
                    float m00 = luts[(y0 * t + x0) * 256 + v], m10 = luts[(y0 * t + x1) * 256 + v];
                    float m01 = luts[(y1 * t + x0) * 256 + v], m11 = luts[(y1 * t + x1) * 256 + v];
                    var top = m00 + wx * (m10 - m00); var bottom = m01 + wx * (m11 - m01);
                    img[y * N + x] = Warp.ToByte(top + wy * (bottom - top));
                }
            }
        }
        finally { ArrayPool<byte>.Shared.Return(lutsArr); }
    }

    private static void ClipHistogram(Span<int> hist, int clim)
    {
        var excess = 0;
        for (var v = 0; v < 256; v++) if (hist[v] > clim) { excess += hist[v] - clim; hist[v] = clim; }
        var each = excess / 256; var rest = excess - each * 256;
        for (var v = 0; v < 256; v++) hist[v] += each;
        // Spread the remainder evenly across the range (deterministic stride).
        if (rest > 0) { var step = 256.0 / rest; for (var r = 0; r < rest; r++) hist[(int)(r * step)]++; }
    }

    /// <summary>Additive Gaussian noise, σ = <paramref name="sigma"/>·255 (sigma in 0..1 of the range).</summary>
    public static void Noise(Span<byte> img, double sigma, ref Rng rng)
    {
        var s = sigma * 255;
        for (var k = 0; k < img.Length; k++) img[k] = Warp.ToByte((float)(img[k] + s * rng.NextGaussian()));
    }

    /// <summary>
    /// One 3x3 sharpen pass: v + amount·(4v − up − down − left − right) (amount 1 = the kernel
    /// [0 −1 0; −1 5 −1; 0 −1 0]), edge pixels replicated.
    /// </summary>
    public static void Sharpen(Span<byte> img, double amount)
    {
        Span<byte> src = stackalloc byte[N * N];
        img.CopyTo(src);
        var a = (float)amount;
        for (var y = 0; y < N; y++)
        {
            int up = Math.Max(y - 1, 0) * N, mid = y * N, down = Math.Min(y + 1, N - 1) * N;
            for (var x = 0; x < N; x++)
            {
                int l = Math.Max(x - 1, 0), r = Math.Min(x + 1, N - 1);
                float v = src[mid + x];
                var lap = 4 * v - src[up + x] - src[down + x] - src[mid + l] - src[mid + r];
                img[mid + x] = Warp.ToByte(v + a * lap);
            }
        }
    }

    /// <summary>Gaussian blur with <paramref name="sigma"/> px (truncated at 4σ, edges replicated).</summary>
    public static void Blur(Span<byte> img, double sigma)
    {
        if (sigma <= 0) return;
        var buf = ArrayPool<float>.Shared.Rent(N * N);
        try
        {
            var f = buf.AsSpan(0, N * N);
            for (var k = 0; k < f.Length; k++) f[k] = img[k];
            Filters.GaussianSmooth(f, (float)sigma, zeroBorder: false);
            for (var k = 0; k < f.Length; k++) img[k] = Warp.ToByte(f[k]);
        }
        finally { ArrayPool<float>.Shared.Return(buf); }
    }
}
