using SkiaSharp;

namespace Fkd.Stages.Drawing;

/// <summary>PNG pictures for the report: face tiles with keypoints and data strips (SkiaSharp), charts (ScottPlot).</summary>
public static class ReportPictures
{
    private static SKBitmap Gray(byte[] pixels)
    {
        var bmp = new SKBitmap(Keypoints.ImageSide, Keypoints.ImageSide, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var colors = new SKColor[Keypoints.PixelCount];
        for (var i = 0; i < colors.Length; i++) colors[i] = new SKColor(pixels[i], pixels[i], pixels[i]);
        bmp.Pixels = colors;
        return bmp;
    }

    private static byte[] Encode(SKSurface surface)
    {
        using var img = surface.Snapshot();
        using var data = img.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A face scaled by <paramref name="scale"/> with its labelled keypoints; <paramref name="highlight"/> drawn larger and ringed.</summary>
    public static byte[] FaceTile(byte[] pixels, float[] coords, int scale = 2, int highlight = -1)
    {
        var side = Keypoints.ImageSide * scale;
        using var surface = SKSurface.Create(new SKImageInfo(side, side));
        var canvas = surface.Canvas;
        using (var bmp = Gray(pixels))
        using (var image = SKImage.FromBitmap(bmp))
            canvas.DrawImage(image, new SKRect(0, 0, side, side), new SKSamplingOptions(SKFilterMode.Linear));
        using var paint = new SKPaint { IsAntialias = true };
        for (var k = 0; k < Keypoints.Count; k++)
        {
            if (float.IsNaN(coords[2 * k]) || float.IsNaN(coords[2 * k + 1])) continue;
            // Pixel-index coordinates: the centre of pixel i is at i + 0.5 in surface units.
            var (x, y) = ((coords[2 * k] + 0.5f) * scale, (coords[2 * k + 1] + 0.5f) * scale);
            paint.Style = SKPaintStyle.Fill;
            paint.Color = FaceImages.ColourOf(k);
            canvas.DrawCircle(x, y, k == highlight ? 3.5f : 2.2f, paint);
            if (k == highlight)
            {
                paint.Style = SKPaintStyle.Stroke;
                paint.StrokeWidth = 1.5f;
                paint.Color = SKColors.Cyan;
                canvas.DrawCircle(x, y, 7, paint);
            }
        }
        return Encode(surface);
    }

    /// <summary>
    /// The mean image with every labelled keypoint of every row as a faint dot, and the per-keypoint means as rings:
    /// from the per-pixel sums over the rows and each row's coordinates, so no image need be held.
    /// </summary>
    public static byte[] MeanFaceWithCloud(IReadOnlyList<double> pixelSums, IReadOnlyList<float[]> coords, int scale = 4)
    {
        var px = pixelSums.Select(v => (byte)Math.Clamp(Math.Round(v / Math.Max(1, coords.Count)), 0, 255)).ToArray();
        var side = Keypoints.ImageSide * scale;
        using var surface = SKSurface.Create(new SKImageInfo(side, side));
        var canvas = surface.Canvas;
        using (var bmp = Gray(px))
        using (var image = SKImage.FromBitmap(bmp))
            canvas.DrawImage(image, new SKRect(0, 0, side, side), new SKSamplingOptions(SKFilterMode.Linear));
        var alpha = (byte)Math.Clamp(4000 / Math.Max(1, coords.Count), 12, 160);
        using var paint = new SKPaint { IsAntialias = true };
        var sums = new double[Keypoints.CoordCount];
        var counts = new int[Keypoints.Count];
        foreach (var c in coords)
            for (var k = 0; k < Keypoints.Count; k++)
            {
                var (x, y) = (c[2 * k], c[2 * k + 1]);
                if (float.IsNaN(x) || float.IsNaN(y)) continue;
                paint.Color = FaceImages.ColourOf(k).WithAlpha(alpha);
                canvas.DrawCircle((x + 0.5f) * scale, (y + 0.5f) * scale, 1.6f, paint);
                sums[2 * k] += x; sums[2 * k + 1] += y; counts[k]++;
            }
        paint.Style = SKPaintStyle.Stroke;
        paint.StrokeWidth = 2;
        for (var k = 0; k < Keypoints.Count; k++)
        {
            if (counts[k] == 0) continue;
            paint.Color = SKColors.White;
            canvas.DrawCircle((float)(sums[2 * k] / counts[k] + 0.5) * scale, (float)(sums[2 * k + 1] / counts[k] + 0.5) * scale, 5, paint);
        }
        return Encode(surface);
    }

    /// <summary>
    /// One column per row (or per bin of rows when there are more than <paramref name="width"/>),
    /// coloured by how many keypoints it has: 15 dark blue, exactly Kaggle's 4 orange, other grey.
    /// In a binned column the colours are stacked in proportion.
    /// </summary>
    public static byte[] SourceStrip(IReadOnlyList<int> labelled, IReadOnlyList<bool> isFour, int width = 1100, int height = 60)
    {
        var n = labelled.Count;
        width = Math.Max(1, Math.Min(width, Math.Max(n, 1)));
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var paint = new SKPaint();
        var full = new SKColor(30, 70, 160); var four = new SKColor(240, 140, 20); var other = new SKColor(160, 160, 160);
        for (var x = 0; x < width; x++)
        {
            var a = (int)((long)x * n / width); var b = (int)((long)(x + 1) * n / width);
            if (b <= a) continue;
            int cf = 0, c4 = 0;
            for (var i = a; i < b; i++) { if (labelled[i] == 15) cf++; else if (isFour[i]) c4++; }
            var total = b - a;
            var yf = (float)height * cf / total; var y4 = (float)height * c4 / total;
            paint.Color = full; canvas.DrawRect(x, 0, 1, yf, paint);
            paint.Color = four; canvas.DrawRect(x, yf, 1, y4, paint);
            paint.Color = other; canvas.DrawRect(x, yf + y4, 1, height - yf - y4, paint);
        }
        return Encode(surface);
    }

    public static byte[] Png(ScottPlot.Plot plot, int width, int height) => plot.GetImage(width, height).GetImageBytes();

    public static byte[] LabelAvailabilityChart(IReadOnlyList<int> counts, int rows)
    {
        var plot = new ScottPlot.Plot();
        var values = counts.Select(c => rows == 0 ? 0 : 100.0 * c / rows).ToArray();
        var positions = Enumerable.Range(0, values.Length).Select(i => (double)(values.Length - 1 - i)).ToArray();
        var bars = positions.Zip(values, (p, v) => new ScottPlot.Bar { Position = p, Value = v, FillColor = ScottPlot.Colors.SteelBlue }).ToArray();
        var bp = plot.Add.Bars(bars);
        bp.Horizontal = true;
        plot.Axes.Left.SetTicks(positions, [.. Keypoints.Names]);
        plot.Axes.SetLimitsX(0, 100);
        plot.XLabel("% of rows labelled");
        plot.Title("Label availability per keypoint");
        return Png(plot, 900, 480);
    }

    public static byte[] SourceScatter(IReadOnlyList<int> labelled)
    {
        var plot = new ScottPlot.Plot();
        var xs = Enumerable.Range(0, labelled.Count).Select(i => (double)i).ToArray();
        var sp = plot.Add.ScatterPoints(xs, labelled.Select(v => (double)v).ToArray());
        sp.MarkerSize = 3;
        plot.XLabel("row index");
        plot.YLabel("labelled keypoints");
        plot.Axes.SetLimitsY(-0.5, 15.5);
        plot.Title("Keypoints labelled, by row index");
        return Png(plot, 1000, 300);
    }

    public static byte[] PixelHistograms(double[] train, double[]? test)
    {
        var plot = new ScottPlot.Plot();
        var xs = Enumerable.Range(0, 256).Select(i => (double)i).ToArray();
        var a = plot.Add.ScatterLine(xs, train);
        a.LegendText = "train";
        a.LineWidth = 2;
        if (test is not null)
        {
            var b = plot.Add.ScatterLine(xs, test);
            b.LegendText = "test";
            b.LineWidth = 2;
        }
        plot.XLabel("grey level");
        plot.YLabel("share of pixels");
        plot.Title("Pixel histograms");
        plot.ShowLegend();
        return Png(plot, 900, 380);
    }

    public static byte[] PcaScatter(double[][] train, double[][] test, double var1, double var2)
    {
        var plot = new ScottPlot.Plot();
        if (train.Length > 0)
        {
            var a = plot.Add.ScatterPoints(train.Select(p => p[0]).ToArray(), train.Select(p => p[1]).ToArray());
            a.MarkerSize = 3; a.LegendText = $"train ({train.Length})"; a.Color = ScottPlot.Colors.SteelBlue.WithAlpha(0.5);
        }
        if (test.Length > 0)
        {
            var b = plot.Add.ScatterPoints(test.Select(p => p[0]).ToArray(), test.Select(p => p[1]).ToArray());
            b.MarkerSize = 3; b.LegendText = $"test ({test.Length})"; b.Color = ScottPlot.Colors.OrangeRed.WithAlpha(0.6);
        }
        plot.XLabel($"PC1 ({var1:P1} of variance)");
        plot.YLabel($"PC2 ({var2:P1} of variance)");
        plot.Title("PCA of downsampled images");
        plot.ShowLegend();
        return Png(plot, 800, 600);
    }
}
