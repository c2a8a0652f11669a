using SkiaSharp;

namespace Fkd.Stages.Drawing;

/// <summary>Which side of the face a keypoint is on (the subject's side, as in Kaggle's names).</summary>
public enum KeypointSide { Left, Right, Centre }

/// <summary>
/// Where each face tile goes in a grid image. Tiles are <c>96·Scale</c> square images with a caption strip
/// below them, <see cref="Gap"/> pixels apart and from the border. Slot <c>s</c> is at column <c>s % Columns</c>,
/// row <c>s / Columns</c>: the layout depends only on the slot count, scale and column count.
/// </summary>
public sealed record GridLayout(int Slots, int Columns, int Scale, int FontScale)
{
    public const int Gap = 2;
    public const int MaxDefaultColumns = 8;

    public int Rows => Slots == 0 ? 0 : (Slots + Columns - 1) / Columns;
    public int ImageSide => Keypoints.ImageSide * Scale;
    public int CaptionHeight => PixelFont.GlyphHeight * FontScale + 4;
    public int TileWidth => ImageSide;
    public int TileHeight => ImageSide + CaptionHeight;
    public int Width => Columns * TileWidth + (Columns + 1) * Gap;
    public int Height => Rows * TileHeight + (Rows + 1) * Gap;

    /// <summary>Top-left pixel of slot <paramref name="slot"/>'s face image (its caption is just below).</summary>
    public (int X, int Y) ImageOrigin(int slot) =>
        (Gap + slot % Columns * (TileWidth + Gap), Gap + slot / Columns * (TileHeight + Gap));

    /// <summary><paramref name="columns"/> ≤ 0: ⌈√slots⌉, at most <see cref="MaxDefaultColumns"/>.</summary>
    public static GridLayout For(int slots, int scale, int columns = 0)
    {
        if (slots < 1) throw new ArgumentOutOfRangeException(nameof(slots), "a grid needs at least one tile");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), "scale must be at least 1");
        if (columns <= 0) columns = Math.Min(MaxDefaultColumns, (int)Math.Ceiling(Math.Sqrt(slots)));
        return new GridLayout(slots, Math.Min(columns, slots), scale, scale >= 2 ? 2 : 1);
    }
}

/// <summary>
/// Drawing faces and keypoints (SkiaSharp bitmaps, RGBA), and the one keypoint palette every picture uses
/// (<c>show</c>, <c>predict --image</c> and the EDA report): the subject's left side <see cref="LeftColour"/>
/// (green), right side <see cref="RightColour"/> (red), centre line <see cref="CentreColour"/> (yellow);
/// predictions are <see cref="PredictionColour"/> (magenta) crosses. A horizontally flipped face therefore
/// shows green on the image's left and red on its right.
/// Overlays are set pixel by pixel (no anti-aliasing), so output is identical on every machine.
/// </summary>
public static class FaceImages
{
    // The report's colours since its first version: its pictures are part of cached entries, so they stay as they are.
    public static readonly SKColor LeftColour = new(60, 220, 60);
    public static readonly SKColor RightColour = new(240, 60, 60);
    public static readonly SKColor CentreColour = new(250, 210, 40);
    public static readonly SKColor PredictionColour = new(255, 0, 255);
    public static readonly SKColor Outline = new(0, 0, 0);
    public static readonly SKColor Background = new(40, 40, 40);
    public static readonly SKColor CaptionColour = new(235, 235, 235);

    public static KeypointSide SideOf(int keypoint)
    {
        var name = Keypoints.Names[keypoint];
        return name.StartsWith("left_", StringComparison.Ordinal) || name.Contains("_left_", StringComparison.Ordinal) ? KeypointSide.Left
            : name.StartsWith("right_", StringComparison.Ordinal) || name.Contains("_right_", StringComparison.Ordinal) ? KeypointSide.Right
            : KeypointSide.Centre;
    }

    public static SKColor ColourOf(int keypoint) => SideOf(keypoint) switch
    {
        KeypointSide.Left => LeftColour,
        KeypointSide.Right => RightColour,
        _ => CentreColour,
    };

    /// <summary>
    /// A 96x96 coordinate (pixel-index units) in a tile upscaled ×<paramref name="scale"/> by nearest neighbour:
    /// source pixel i covers tile pixels [i·s, i·s + s), whose centre is i·s + (s − 1)/2.
    /// </summary>
    public static double Upscaled(double coord, int scale) => coord * scale + (scale - 1) / 2.0;

    /// <summary>A filled disc of <paramref name="radius"/> around (x, y) (pixel-index units); always covers pixel (round(x), round(y)).</summary>
    public static void DrawDot(SKBitmap bmp, double x, double y, double radius, SKColor colour)
    {
        radius = Math.Max(radius, 0.75);
        var (cx, cy) = ((int)Math.Round(x), (int)Math.Round(y));
        var r = (int)Math.Ceiling(radius) + 1;
        for (var j = cy - r; j <= cy + r; j++)
            for (var i = cx - r; i <= cx + r; i++)
            {
                if (i < 0 || j < 0 || i >= bmp.Width || j >= bmp.Height) continue;
                var (dx, dy) = (i - x, j - y);
                if (dx * dx + dy * dy <= radius * radius || (i == cx && j == cy)) bmp.SetPixel(i, j, colour);
            }
    }

    /// <summary>A dot with a one-pixel dark outline, so it shows on light and dark skin alike.</summary>
    public static void DrawKeypoint(SKBitmap bmp, double x, double y, double radius, SKColor colour)
    {
        DrawDot(bmp, x, y, radius + 1, Outline);
        DrawDot(bmp, x, y, radius, colour);
    }

    /// <summary>A diagonal cross (×) with arms of <paramref name="arm"/> pixels, centred on pixel (round(x), round(y)).</summary>
    public static void DrawCross(SKBitmap bmp, double x, double y, int arm, SKColor colour, int thickness = 1)
    {
        var (cx, cy) = ((int)Math.Round(x), (int)Math.Round(y));
        for (var t = -arm; t <= arm; t++)
            for (var w = 0; w < thickness; w++)
            {
                Set(bmp, cx + t + w, cy + t, colour);
                Set(bmp, cx + t + w, cy - t, colour);
            }
    }

    public static void DrawRectangle(SKBitmap bmp, int x0, int y0, int x1, int y1, SKColor colour, int thickness = 1)
    {
        for (var w = 0; w < thickness; w++)
        {
            for (var i = x0; i <= x1; i++) { Set(bmp, i, y0 + w, colour); Set(bmp, i, y1 - w, colour); }
            for (var j = y0; j <= y1; j++) { Set(bmp, x0 + w, j, colour); Set(bmp, x1 - w, j, colour); }
        }
    }

    private static void Set(SKBitmap bmp, int i, int j, SKColor c)
    {
        if (i >= 0 && j >= 0 && i < bmp.Width && j < bmp.Height) bmp.SetPixel(i, j, c);
    }

    /// <summary>96x96 grayscale bytes as an image.</summary>
    public static SKImage GrayImage(byte[] pixels, int side = Keypoints.ImageSide)
    {
        var info = new SKImageInfo(side, side, SKColorType.Gray8, SKAlphaType.Opaque);
        return SKImage.FromPixelCopy(info, pixels, side);
    }

    /// <summary>
    /// Which slot each row gets. Rows tagged <c>variant</c> (augment output: grouped by source row, variants
    /// in order) go one source per grid row at column = variant, so dropped variants leave a gap and the
    /// columns line up; the column count is then the largest variant + 1. Other rows fill slots in order.
    /// </summary>
    public static (int[] Slots, int Columns) Slots(IReadOnlyList<FaceRow> rows, int columns = 0)
    {
        var variants = rows.Select(r => r.Tags.TryGetValue("variant", out var v) ? (long?)v : null).ToArray();
        var maxVariant = variants.Length == 0 ? -1 : variants.Max(v => v ?? -1);
        if (columns > 0 || maxVariant < 1 || maxVariant >= 16 || variants.Any(v => v is null))
            return ([.. Enumerable.Range(0, rows.Count)], columns);
        var perRow = (int)maxVariant + 1;
        var slots = new int[rows.Count];
        var group = -1;
        var previous = long.MaxValue;
        for (var i = 0; i < rows.Count; i++)
        {
            var v = variants[i]!.Value;
            if (v <= previous) group++;
            previous = v;
            slots[i] = group * perRow + (int)v;
        }
        return (slots, perRow);
    }

    /// <summary>
    /// A grid of faces: each upscaled ×<c>scale</c> (nearest neighbour), labelled keypoints as dots coloured by
    /// side, predictions (matched by id) as crosses, and a caption (id, and <c>v</c>variant when tagged, or the
    /// row's entry of <paramref name="captions"/>). Predictions are not drawn on augmented variants (variant ≠ 0):
    /// they were made for the untouched image.
    /// </summary>
    public static SKBitmap RenderGrid(IReadOnlyList<FaceRow> rows, IReadOnlyDictionary<long, float[]>? predictions, int scale, int columns = 0,
        IReadOnlyDictionary<long, string>? captions = null)
    {
        var (slots, cols) = Slots(rows, columns);
        var layout = GridLayout.For(slots.Length == 0 ? 1 : slots.Max() + 1, scale, cols);
        var bmp = new SKBitmap(new SKImageInfo(layout.Width, layout.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(Background);
            var sampling = new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None);
            for (var i = 0; i < rows.Count; i++)
            {
                var (x0, y0) = layout.ImageOrigin(slots[i]);
                using var img = GrayImage(rows[i].Pixels);
                canvas.DrawImage(img, SKRect.Create(x0, y0, layout.ImageSide, layout.ImageSide), sampling);
            }
            canvas.Flush();
        }
        var radius = Math.Max(1.0, scale * 0.6);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var (x0, y0) = layout.ImageOrigin(slots[i]);
            for (var k = 0; k < Keypoints.Count; k++)
            {
                var (x, y) = (row.Coords[2 * k], row.Coords[2 * k + 1]);
                if (float.IsNaN(x) || float.IsNaN(y)) continue;
                DrawKeypoint(bmp, x0 + Upscaled(x, scale), y0 + Upscaled(y, scale), radius, ColourOf(k));
            }
            var variant = row.TagOr("variant", -1);
            if (predictions is not null && variant <= 0 && predictions.TryGetValue(row.Id, out var p))
                for (var k = 0; k < Keypoints.Count; k++)
                {
                    var (x, y) = (p[2 * k], p[2 * k + 1]);
                    if (float.IsNaN(x) || float.IsNaN(y)) continue;
                    DrawCross(bmp, x0 + Upscaled(x, scale), y0 + Upscaled(y, scale), Math.Max(1, scale), PredictionColour, scale >= 3 ? 2 : 1);
                }
            var caption = captions?.GetValueOrDefault(row.Id) ?? (variant >= 0 ? $"{row.Id} v{variant}" : $"{row.Id}");
            PixelFont.Draw(bmp, caption, x0 + 1, y0 + layout.ImageSide + 2, layout.FontScale, CaptionColour, x0 + layout.TileWidth);
        }
        return bmp;
    }

    public static void SavePng(SKBitmap bmp, string path)
    {
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100) ?? throw new InvalidOperationException("PNG encoding failed");
        using var fs = File.Create(path);
        data.SaveTo(fs);
    }
}

/// <summary>
/// A 3x5 pixel font for captions (digits, a few letters and signs). Built in rather than a system font so
/// captions look the same everywhere and need no font files. Unknown characters draw as a blank.
/// </summary>
public static class PixelFont
{
    public const int GlyphWidth = 3;
    public const int GlyphHeight = 5;

    private static readonly Dictionary<char, string> Glyphs = new()
    {
        ['0'] = "111101101101111", ['1'] = "010110010010111", ['2'] = "111001111100111", ['3'] = "111001111001111",
        ['4'] = "101101111001001", ['5'] = "111100111001111", ['6'] = "111100111101111", ['7'] = "111001010010010",
        ['8'] = "111101111101111", ['9'] = "111101111001111", ['v'] = "000000101101010", ['-'] = "000000111000000",
        ['#'] = "101111101111101", [':'] = "000010000010000", ['.'] = "000000000000010", ['f'] = "011100110100100",
        ['i'] = "010000010010010", ['d'] = "001001111101111", ['l'] = "010010010010011", ['p'] = "000111101111100", ['x'] = "000101010101000",
    };

    /// <summary>Draws <paramref name="text"/> with its top-left at (x, y), each font pixel a <paramref name="scale"/>² block; stops before <paramref name="maxX"/>.</summary>
    public static void Draw(SKBitmap bmp, string text, int x, int y, int scale, SKColor colour, int maxX = int.MaxValue)
    {
        foreach (var ch in text)
        {
            if (x + GlyphWidth * scale > maxX) break;
            if (Glyphs.TryGetValue(ch, out var g))
                for (var r = 0; r < GlyphHeight; r++)
                    for (var c = 0; c < GlyphWidth; c++)
                        if (g[r * GlyphWidth + c] == '1')
                            for (var dy = 0; dy < scale; dy++)
                                for (var dx = 0; dx < scale; dx++)
                                {
                                    var (px, py) = (x + c * scale + dx, y + r * scale + dy);
                                    if (px >= 0 && py >= 0 && px < bmp.Width && py < bmp.Height) bmp.SetPixel(px, py, colour);
                                }
            x += (GlyphWidth + 1) * scale;
        }
    }
}
