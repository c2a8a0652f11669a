using System.Text;
using Fkd.Stages.Faces;
using Fkd.Stages.Parse;

namespace Fkd.Stages.Tests.Parse;

public sealed class ParseToParquetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-parse-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Csv(params string[] rows)
    {
        var header = string.Join(',', Keypoints.Columns) + ",Image";
        var path = Path.Combine(_dir, "training.csv");
        File.WriteAllText(path, header + "\n" + string.Join("\n", rows) + "\n", new UTF8Encoding(false));
        return path;
    }

    private static string Row(int pixel, int pixels = Keypoints.PixelCount, string coord = "40") =>
        string.Join(',', Enumerable.Repeat(coord, Keypoints.CoordCount)) + "," + string.Join(' ', Enumerable.Repeat(pixel.ToString(), pixels));

    [Fact]
    public async Task Quarantine_keeps_good_rows_with_source_row_ids_and_reports_the_bad_one()
    {
        var csv = Csv(Row(1), Row(2, pixels: 9215), Row(3));
        var output = Path.Combine(_dir, "faces.parquet");
        var r = await ParseToParquet.RunAsync(csv, output, new ParseOptions(ParseMode.Quarantine), new Dictionary<string, string>(), default);
        Assert.Equal(2, r.Rows);
        var e = Assert.Single(r.Errors);
        Assert.Equal(3, e.Line);
        Assert.Contains("9216", e.Expected);
        var rows = await FaceTable.ReadAsync(output);
        Assert.Equal([0L, 2L], rows.Select(x => x.Id));
        Assert.Equal([2, 4], rows.Select(x => x.Line));
        Assert.Equal(ImageHash.HexOf(rows[1].Pixels), rows[1].Hash);
        Assert.All(rows[1].Pixels, p => Assert.Equal(3, p));
    }

    [Fact]
    public async Task Strict_mode_fails_with_file_line_and_column()
    {
        var csv = Csv(Row(1), Row(2, coord: "abc"));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() =>
            ParseToParquet.RunAsync(csv, Path.Combine(_dir, "faces.parquet"), new ParseOptions(ParseMode.Strict), new Dictionary<string, string>(), default));
        Assert.Contains("training.csv:3:1: left_eye_center_x: expected", e.Message);
    }

    [Fact]
    public async Task Many_blocks_arrive_in_file_order()
    {
        var csv = Csv([.. Enumerable.Range(0, 300).Select(i => Row(i % 256))]);
        var output = Path.Combine(_dir, "faces.parquet");
        var r = await ParseToParquet.RunAsync(csv, output, new ParseOptions(ParseMode.Strict, Threads: 2), new Dictionary<string, string>(), default);
        Assert.Equal(300, r.Rows);
        var rows = await FaceTable.ReadAsync(output);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), rows.Select(x => x.Id));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (byte)(i % 256)), rows.Select(x => x.Pixels[0]));
    }
}
