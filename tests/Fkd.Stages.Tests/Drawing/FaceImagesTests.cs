using Fkd.Stages.Faces;
using SkiaSharp;
using Fkd.Stages.Drawing;

namespace Fkd.Stages.Tests.Drawing;

public class FaceImagesTests
{
    [Theory]
    [InlineData(1, 3, 0, 1, 1)]
    [InlineData(4, 3, 0, 2, 2)]
    [InlineData(16, 3, 0, 4, 4)]
    [InlineData(17, 2, 0, 5, 4)]
    [InlineData(100, 1, 0, 8, 13)]
    [InlineData(24, 3, 6, 6, 4)]
    [InlineData(3, 3, 8, 3, 1)]
    public void Grid_layout_is_a_function_of_count_scale_and_columns(int slots, int scale, int columns, int wantColumns, int wantRows)
    {
        var l = GridLayout.For(slots, scale, columns);
        Assert.Equal(wantColumns, l.Columns);
        Assert.Equal(wantRows, l.Rows);
        Assert.Equal(96 * scale, l.ImageSide);
        Assert.Equal(l.Columns * l.TileWidth + (l.Columns + 1) * GridLayout.Gap, l.Width);
        Assert.Equal(l.Rows * l.TileHeight + (l.Rows + 1) * GridLayout.Gap, l.Height);
        Assert.Equal((GridLayout.Gap, GridLayout.Gap), l.ImageOrigin(0));
        // slots fill rows left to right, and every tile lies inside the image without overlapping the next
        var last = l.ImageOrigin(slots - 1);
        Assert.Equal(((slots - 1) % l.Columns, (slots - 1) / l.Columns),
            ((last.X - GridLayout.Gap) / (l.TileWidth + GridLayout.Gap), (last.Y - GridLayout.Gap) / (l.TileHeight + GridLayout.Gap)));
        Assert.True(last.X + l.TileWidth + GridLayout.Gap <= l.Width && last.Y + l.TileHeight + GridLayout.Gap <= l.Height);
        Assert.Equal(l, GridLayout.For(slots, scale, columns));
    }

    [Fact]
    public void Variant_rows_go_one_source_per_grid_row_with_gaps_for_dropped_variants()
    {
        // source 0: variants 0,1,2; source 1: variant 1 dropped; source 2: 0..2
        long[] variants = [0, 1, 2, 0, 2, 0, 1, 2];
        var rows = variants.Select((v, i) => Row(i).Tag("variant", v)).ToList();
        var (slots, columns) = FaceImages.Slots(rows);
        Assert.Equal(3, columns);
        Assert.Equal([0, 1, 2, 3, 5, 6, 7, 8], slots);
        var (plain, plainColumns) = FaceImages.Slots([.. rows.Select(r => r with { Tags = FaceRow.NoTags })]);
        Assert.Equal(Enumerable.Range(0, 8), plain);
        Assert.Equal(0, plainColumns);
    }

    [Fact]
    public void Sides_follow_the_subjects_left_and_right()
    {
        foreach (var (l, r) in Keypoints.FlipPairs)
        {
            Assert.Equal(KeypointSide.Left, FaceImages.SideOf(l));
            Assert.Equal(KeypointSide.Right, FaceImages.SideOf(r));
        }
        Assert.Equal(KeypointSide.Centre, FaceImages.SideOf(Keypoints.Names.IndexOf("nose_tip")));
        Assert.NotEqual(FaceImages.LeftColour, FaceImages.RightColour);
    }

    [Theory]
    [InlineData(10.0, 20.0, 0.75)]
    [InlineData(10.49, 20.51, 0.75)]
    [InlineData(0.2, 94.6, 1.0)]
    [InlineData(47.5001, 3.4999, 2.0)]
    [InlineData(33.3, 66.6, 0.1)]
    public void Drawing_a_keypoint_colours_the_pixel_at_the_rounded_coordinate(double x, double y, double radius)
    {
        using var bmp = new SKBitmap(new SKImageInfo(96, 96, SKColorType.Rgba8888, SKAlphaType.Premul));
        bmp.Erase(SKColors.Black);
        FaceImages.DrawKeypoint(bmp, x, y, radius, FaceImages.LeftColour);
        Assert.Equal(FaceImages.LeftColour, bmp.GetPixel((int)Math.Round(x), (int)Math.Round(y)));
        bmp.Erase(SKColors.Black);
        FaceImages.DrawCross(bmp, x, y, 2, FaceImages.PredictionColour);
        Assert.Equal(FaceImages.PredictionColour, bmp.GetPixel((int)Math.Round(x), (int)Math.Round(y)));
    }

    [Fact]
    public void A_keypoint_in_an_upscaled_tile_lands_on_its_source_pixels_block()
    {
        for (var s = 1; s <= 5; s++)
            for (var i = 0; i < 96; i += 19)
            {
                var u = (int)Math.Round(FaceImages.Upscaled(i, s));
                Assert.InRange(u, i * s, i * s + s - 1);
            }
    }

    public static FaceRow Row(long id)
    {
        var pixels = new byte[Keypoints.PixelCount];
        for (var p = 0; p < pixels.Length; p++) pixels[p] = (byte)((p % 96 + p / 96 + id * 7) % 200 + 20);
        var coords = Face.MissingCoords();
        (coords[0], coords[1]) = (60f, 40f);   // left eye centre (subject's left = image right)
        (coords[2], coords[3]) = (36f, 40f);   // right eye centre
        (coords[20], coords[21]) = (48f, 60f); // nose tip
        return new FaceRow(id, (int)id + 2, ImageHash.HexOf(pixels), pixels, coords, FaceRow.NoTags);
    }
}
