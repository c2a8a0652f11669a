using Fkd.Stages.Faces;

namespace Fkd.Stages.Tests.Faces;

public class PhotoCropTests
{
    [Theory]
    [InlineData(640, 480, 80, 0, 480)]
    [InlineData(480, 641, 0, 80, 480)]
    [InlineData(96, 96, 0, 0, 96)]
    [InlineData(101, 100, 0, 0, 100)]
    [InlineData(50, 30, 10, 0, 30)]
    public void The_crop_is_the_largest_centred_square(int w, int h, int ox, int oy, int side)
    {
        Assert.Equal(new PhotoCrop(w, h, ox, oy, side), PhotoCrop.For(w, h));
    }

    [Theory]
    [InlineData(640, 480)]
    [InlineData(480, 640)]
    [InlineData(3000, 2000)]
    [InlineData(96, 96)]
    [InlineData(60, 80)]
    public void Photo_to_face_and_back_is_the_identity(int w, int h)
    {
        var c = PhotoCrop.For(w, h);
        foreach (var (x, y) in new[] { (c.OffsetX, c.OffsetY), (c.OffsetX + c.Side - 1, c.OffsetY + c.Side - 1), (w / 2, h / 3), (c.OffsetX + 7, h - 1 - c.OffsetY) })
        {
            var (fx, fy) = c.ToFace(x, y);
            var (px, py) = c.ToPhoto(fx, fy);
            Assert.Equal(x, px, 1e-9);
            Assert.Equal(y, py, 1e-9);
        }
        // the crop's corner pixels map to the 96x96 image's outer half-pixel edges, its centre to the centre
        Assert.Equal(-0.5, c.ToFace(c.OffsetX - 0.5, 0).X, 1e-9);
        Assert.Equal(95.5, c.ToFace(c.OffsetX + c.Side - 0.5, 0).X, 1e-9);
        Assert.Equal(47.5, c.ToFace(c.OffsetX + (c.Side - 1) / 2.0, 0).X, 1e-9);
    }

    /// <summary>
    /// A bright spot at a photo pixel, put through the real crop and resize, peaks in the 96x96 image where
    /// <see cref="PhotoCrop.ToFace"/> says; mapped back, it is within half a face pixel (in photo pixels) of where it was.
    /// </summary>
    [Theory]
    [InlineData(640, 480, 300.0, 200.0)]
    [InlineData(640, 480, 123.0, 377.0)]
    [InlineData(480, 720, 240.0, 150.0)]
    [InlineData(1500, 1000, 700.0, 520.0)]
    [InlineData(200, 150, 101.0, 60.0)]
    [InlineData(96, 120, 40.0, 70.0)]
    [InlineData(72, 72, 30.0, 40.0)]
    public void A_spot_in_the_photo_comes_back_where_it_was(int w, int h, double sx, double sy)
    {
        var c = PhotoCrop.For(w, h);
        var sigma = Math.Max(1.5, 1.5 * c.Factor);
        var gray = new byte[w * h];
        for (var j = 0; j < h; j++)
            for (var i = 0; i < w; i++)
            {
                var d2 = (i - sx) * (i - sx) + (j - sy) * (j - sy);
                gray[j * w + i] = (byte)Math.Round(10 + 240 * Math.Exp(-d2 / (2 * sigma * sigma)));
            }
        var face = c.Apply(gray);
        Assert.Equal(96 * 96, face.Length);
        // intensity-weighted centroid above the background, in 96x96 pixel-index units
        double sw = 0, swx = 0, swy = 0;
        for (var j = 0; j < 96; j++)
            for (var i = 0; i < 96; i++)
            {
                var v = Math.Max(0, face[j * 96 + i] - 12.0);
                sw += v; swx += v * i; swy += v * j;
            }
        var (cx, cy) = (swx / sw, swy / sw);
        var (ex, ey) = c.ToFace(sx, sy);
        Assert.InRange(cx - ex, -0.35, 0.35);
        Assert.InRange(cy - ey, -0.35, 0.35);
        var (bx, by) = c.ToPhoto(cx, cy);
        Assert.InRange(Math.Abs(bx - sx), 0, 0.5 * Math.Max(1, c.Factor));
        Assert.InRange(Math.Abs(by - sy), 0, 0.5 * Math.Max(1, c.Factor));
    }

    [Fact]
    public void Luma_uses_rec601_weights()
    {
        using var bmp = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(3, 1, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul));
        bmp.SetPixel(0, 0, new SkiaSharp.SKColor(255, 0, 0));
        bmp.SetPixel(1, 0, new SkiaSharp.SKColor(0, 255, 0));
        bmp.SetPixel(2, 0, new SkiaSharp.SKColor(0, 0, 255));
        Assert.Equal(new byte[] { 76, 150, 29 }, PhotoCrop.Luma(bmp));
    }
}
