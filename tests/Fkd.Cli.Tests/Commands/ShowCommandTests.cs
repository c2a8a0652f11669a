using Fkd.Cli.Commands;
using Fkd.Stages.Drawing;
using Fkd.Stages.Faces;
using SkiaSharp;

namespace Fkd.Cli.Tests.Commands;

public class ShowCommandTests
{
    [Fact]
    public async Task Show_core_writes_a_png_of_the_expected_size()
    {
        var dir = Directory.CreateTempSubdirectory("fkd-show-");
        try
        {
            var rows = Enumerable.Range(0, 5).Select(i => Row(i)).ToList();
            var table = Path.Combine(dir.FullName, "faces.parquet");
            await FaceTable.WriteAsync(table, rows, new Dictionary<string, string>());
            var png = Path.Combine(dir.FullName, "out", "grid.png");
            var res = await ShowCommand.WriteGridAsync(table, png, rows: 4, scale: 2);
            Assert.Equal(4, res.Rows);
            var layout = GridLayout.For(4, 2);
            using var decoded = SKBitmap.Decode(png);
            Assert.NotNull(decoded);
            Assert.Equal((layout.Width, layout.Height), (decoded.Width, decoded.Height));
            Assert.Equal((res.Width, res.Height), (decoded.Width, decoded.Height));
            // the left eye centre of the first face, (60, 40), is drawn in the left-side colour
            var (x0, y0) = layout.ImageOrigin(0);
            var px = decoded.GetPixel(x0 + (int)Math.Round(FaceImages.Upscaled(60, 2)), y0 + (int)Math.Round(FaceImages.Upscaled(40, 2)));
            Assert.Equal(FaceImages.LeftColour, px);
            // and a face pixel away from keypoints keeps its gray value
            var g = decoded.GetPixel(x0 + 2 * 5, y0 + 2 * 90);
            Assert.Equal((rows[0].Pixels[90 * 96 + 5], rows[0].Pixels[90 * 96 + 5]), (g.Red, g.Green));
        }
        finally { dir.Delete(true); }
    }

    private static FaceRow Row(long id)
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
