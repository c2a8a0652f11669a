using SkiaSharp;

namespace Fkd.Stages.Faces;

/// <summary>
/// How a photo becomes a 96x96 face: grayscale (luma), the largest centred square cropped out, resized
/// to 96x96. Coordinates on both sides are pixel-index units (pixel centre (i, j) is coordinate (i, j)).
///
/// Mapping. The crop square has side <c>S = min(W, H)</c> and top-left pixel
/// <c>(OffsetX, OffsetY) = (⌊(W − S)/2⌋, ⌊(H − S)/2⌋)</c>; the resize factor is <c>k = S / 96</c>
/// (photo pixels per face pixel). In continuous coordinates (pixel i spans [i, i + 1)) the resize maps
/// u to u / k, and pixel-index coordinates are continuous ones minus ½, so
/// <code>
///   x96   = (X − OffsetX + ½) / k − ½        (photo → face)
///   X     = (x96 + ½) · k − ½ + OffsetX      (face → photo)
/// </code>
/// and the same for y with OffsetY. Resampling is what SkiaSharp's linear filter (with linear mipmaps
/// for large reductions) does to those same continuous coordinates.
/// </summary>
public sealed record PhotoCrop(int Width, int Height, int OffsetX, int OffsetY, int Side)
{
    public double Factor => Side / (double)Keypoints.ImageSide;

    public static PhotoCrop For(int width, int height)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), "the photo has no pixels");
        var side = Math.Min(width, height);
        return new PhotoCrop(width, height, (width - side) / 2, (height - side) / 2, side);
    }

    public (double X, double Y) ToFace(double x, double y) =>
        ((x - OffsetX + 0.5) / Factor - 0.5, (y - OffsetY + 0.5) / Factor - 0.5);

    public (double X, double Y) ToPhoto(double x, double y) =>
        ((x + 0.5) * Factor - 0.5 + OffsetX, (y + 0.5) * Factor - 0.5 + OffsetY);

    /// <summary>Rec. 601 luma (0.299 R + 0.587 G + 0.114 B), rounded; alpha is ignored.</summary>
    public static byte[] Luma(SKBitmap photo)
    {
        using var rgba = photo.ColorType == SKColorType.Rgba8888 && photo.AlphaType != SKAlphaType.Premul ? null : Convert(photo);
        var src = rgba ?? photo;
        var bytes = src.GetPixelSpan();
        var gray = new byte[src.Width * src.Height];
        for (var p = 0; p < gray.Length; p++)
        {
            var (r, g, b) = (bytes[4 * p], bytes[4 * p + 1], bytes[4 * p + 2]);
            gray[p] = (byte)Math.Clamp((int)Math.Round(0.299 * r + 0.587 * g + 0.114 * b), 0, 255);
        }
        return gray;
    }

    private static SKBitmap Convert(SKBitmap photo)
    {
        var b = new SKBitmap(new SKImageInfo(photo.Width, photo.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (!photo.CopyTo(b, SKColorType.Rgba8888) && !photo.ScalePixels(b, new SKSamplingOptions(SKFilterMode.Nearest)))
            throw new InvalidDataException("could not convert the photo to RGBA");
        return b;
    }

    /// <summary>Crop and resize a grayscale photo (<see cref="Width"/>·<see cref="Height"/> bytes, row-major) to 96x96 bytes.</summary>
    public byte[] Apply(byte[] gray)
    {
        if (gray.Length != Width * Height) throw new ArgumentException($"expected {Width * Height} bytes, got {gray.Length}", nameof(gray));
        var square = new byte[Side * Side];
        for (var j = 0; j < Side; j++)
            Array.Copy(gray, (OffsetY + j) * Width + OffsetX, square, j * Side, Side);
        if (Side == Keypoints.ImageSide) return square;
        using var src = new SKBitmap(new SKImageInfo(Side, Side, SKColorType.Gray8, SKAlphaType.Opaque));
        square.CopyTo(src.GetPixelSpan());
        using var dst = new SKBitmap(new SKImageInfo(Keypoints.ImageSide, Keypoints.ImageSide, SKColorType.Gray8, SKAlphaType.Opaque));
        var sampling = Side > Keypoints.ImageSide
            ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)
            : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None);
        if (!src.ScalePixels(dst, sampling)) throw new InvalidOperationException("resizing the photo failed");
        return dst.GetPixelSpan().ToArray();
    }
}
