using System.Buffers;

namespace Fkd.Stages.Augment;

/// <summary>Separable filters on 96x96 float images (internal helpers).</summary>
internal static class Filters
{
    private const int N = Faces.Keypoints.ImageSide;

    /// <summary>Normalised 1-D Gaussian taps, radius = ceil(4σ) (scipy's truncate = 4).</summary>
    public static int GaussianKernel(float sigma, Span<float> taps)
    {
        var r = Math.Max(1, (int)MathF.Ceiling(4 * sigma));
        var sum = 0f;
        for (var k = -r; k <= r; k++) { var w = MathF.Exp(-0.5f * k * k / (sigma * sigma)); taps[k + r] = w; sum += w; }
        for (var k = 0; k <= 2 * r; k++) taps[k] /= sum;
        return r;
    }

    public static int KernelLength(float sigma) => 2 * Math.Max(1, (int)MathF.Ceiling(4 * sigma)) + 1;

    /// <summary>In-place separable Gaussian; outside the image either 0 or the nearest edge value.</summary>
    public static void GaussianSmooth(Span<float> img, float sigma, bool zeroBorder)
    {
        if (sigma <= 0) return;
        var len = KernelLength(sigma);
        var tapsArr = ArrayPool<float>.Shared.Rent(len);
        var tmpArr = ArrayPool<float>.Shared.Rent(N * N);
        try
        {
            var taps = tapsArr.AsSpan(0, len);
            var r = GaussianKernel(sigma, taps);
            var tmp = tmpArr.AsSpan(0, N * N);
            // Horizontal pass img -> tmp.
            for (var j = 0; j < N; j++)
            {
                var row = img.Slice(j * N, N);
                for (var i = 0; i < N; i++)
                {
                    var acc = 0f;
                    for (var k = -r; k <= r; k++)
                    {
                        var x = i + k;
                        if ((uint)x >= N) { if (zeroBorder) continue; x = Math.Clamp(x, 0, N - 1); }
                        acc += taps[k + r] * row[x];
                    }
                    tmp[j * N + i] = acc;
                }
            }
            // Vertical pass tmp -> img.
            for (var j = 0; j < N; j++)
                for (var i = 0; i < N; i++)
                {
                    var acc = 0f;
                    for (var k = -r; k <= r; k++)
                    {
                        var y = j + k;
                        if ((uint)y >= N) { if (zeroBorder) continue; y = Math.Clamp(y, 0, N - 1); }
                        acc += taps[k + r] * tmp[y * N + i];
                    }
                    img[j * N + i] = acc;
                }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tapsArr);
            ArrayPool<float>.Shared.Return(tmpArr);
        }
    }
}
