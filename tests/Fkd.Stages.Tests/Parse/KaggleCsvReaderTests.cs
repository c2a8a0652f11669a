using System.IO.Compression;
using System.Text;
using Fkd.Stages.Faces;
using LanguageExt.Common;
using Xunit.Abstractions;
using Fkd.Stages.Parse;

namespace Fkd.Stages.Tests.Parse;

public sealed class KaggleCsvReaderTests(CorpusFixture corpus, ITestOutputHelper output) : IClassFixture<CorpusFixture>
{
    private static readonly ParseOptions Strict = new(ParseMode.Strict);
    private static readonly ParseOptions Quarantine = new(ParseMode.Quarantine);

    // file, line, column, field, expected, found; plus how many good rows the file holds.
    public static TheoryData<string, int, int, string, string, string, int> BadCases => new()
    {
        { "bad_pixel_count_short.csv", 3, 9, "Image", "9216 pixels", "9215", 2 },
        { "bad_pixel_count_long.csv", 3, 9, "Image", "9216 pixels", "9217", 1 },
        { "bad_pixel_not_integer.csv", 3, 209, "Image", "integer pixel", "'12a' at pixel 101", 1 },
        { "bad_pixel_negative.csv", 3, 9, "Image", "integer pixel", "'-1' at pixel 1", 1 },
        { "bad_pixel_range.csv", 3, 19, "Image", "pixel in 0..255", "'256' at pixel 6", 1 },
        { "bad_keypoint_not_number.csv", 3, 1, "left_eye_center_x", "number", "'abc'", 1 },
        { "bad_keypoint_range.csv", 3, 5, "left_eye_center_y", "number in [0, 96]", "'96.5'", 1 },
        { "bad_keypoint_negative.csv", 3, 1, "left_eye_center_x", "number in [0, 96]", "'-0.5'", 1 },
        { "bad_too_many_fields.csv", 3, 13, "field 4", "3 fields", "4", 1 },
        { "bad_too_few_fields.csv", 3, 18436, "Image", "3 fields", "2", 2 },
        { "bad_truncated_last_line.csv", 3, 9, "Image", "complete row", "file ends mid-row after 5000 of 9216 pixels", 1 },
        { "bad_truncated_mid_fields.csv", 3, 5, "left_eye_center_y", "complete row", "file ends mid-row after 2 of 3 fields", 1 },
        { "bad_image_id.csv", 3, 1, "ImageId", "positive integer", "'x1'", 1 },
        { "bad_image_id_zero.csv", 3, 1, "ImageId", "positive integer", "'0'", 1 },
    };

    [Theory, MemberData(nameof(BadCases))]
    public void Bad_row_strict_fails_with_the_exact_error(string file, int line, int col, string field, string expected, string found, int good)
    {
        _ = good;
        var want = new RowError(file, line, col, field, expected, found);
        var err = Fail(() => KaggleCsvReader.Read(corpus[file], Strict));
        var rejected = Assert.IsType<RowsRejected>(err);
        Assert.Equal([want], rejected.Errors.ToArray());
        Assert.Contains(want.ToString(), err.Message);
        Assert.Equal(KaggleCsvReader.RowErrorCode, err.Code);
    }

    [Theory, MemberData(nameof(BadCases))]
    public void Bad_row_quarantine_keeps_good_rows_and_reports_the_bad_one(string file, int line, int col, string field, string expected, string found, int good)
    {
        var r = Ok(() => KaggleCsvReader.Read(corpus[file], Quarantine));
        Assert.Equal([new RowError(file, line, col, field, expected, found)], r.Errors.ToArray());
        Assert.Equal(good, r.Rows.Length);
        Assert.DoesNotContain(r.Rows, x => x.Line == line);
    }

    [Fact]
    public void RowError_formats_as_file_line_column()
    {
        Assert.Equal("training.csv:17:23: Image: expected 9216 pixels, found 9215",
            new RowError("training.csv", 17, 23, "Image", "9216 pixels", "9215").ToString());
    }

    [Fact]
    public void Strict_lists_at_most_MaxErrors_problems_in_file_order()
    {
        var err = Fail(() => KaggleCsvReader.Read(corpus["bad_many_rows.csv"], Strict with { MaxErrors = 2, Threads = 1 }));
        var rejected = Assert.IsType<RowsRejected>(err);
        Assert.Equal([2, 4], rejected.Errors.Select(e => e.Line));
        Assert.True(rejected.StoppedEarly);
        output.WriteLine(err.Message);
        Assert.StartsWith("bad_many_rows.csv: bad rows (stopped after the first 2):\n  bad_many_rows.csv:2:1: left_eye_center_x: expected number, found 'x'\n", err.Message);

        var all = Assert.IsType<RowsRejected>(Fail(() => KaggleCsvReader.Read(corpus["bad_many_rows.csv"], Strict)));
        Assert.False(all.StoppedEarly);
        Assert.Equal(
            ["bad_many_rows.csv:2:1: left_eye_center_x: expected number, found 'x'",
             "bad_many_rows.csv:4:5: left_eye_center_y: expected number, found 'y'",
             "bad_many_rows.csv:5:9: Image: expected 9216 pixels, found 3"],
            all.Errors.Select(e => e.ToString()));

        var q = Ok(() => KaggleCsvReader.Read(corpus["bad_many_rows.csv"], Quarantine with { MaxErrors = 1 }));
        Assert.Equal(3, q.Errors.Length); // quarantine keeps every error
        Assert.Equal([3], q.Rows.Select(x => x.Line));
    }

    [Theory]
    [InlineData("header_no_image.csv", "missing required column 'Image'")]
    [InlineData("header_unknown_columns.csv", "unknown column(s): Foo, bar")]
    [InlineData("header_duplicate.csv", "duplicate column(s): Image")]
    [InlineData("header_empty_file.csv", "no header line")]
    public void Header_problems_are_header_errors_in_both_modes(string file, string problem)
    {
        foreach (var o in new[] { Strict, Quarantine })
        {
            var err = Fail(() => KaggleCsvReader.Read(corpus[file], o));
            var h = Assert.IsType<HeaderError>(err);
            Assert.Equal(file, h.File);
            Assert.Contains(problem, h.Problem);
            Assert.StartsWith($"{file}:1: header: ", err.Message);
        }
    }

    [Fact]
    public void Good_lf_file_gives_values_nan_for_empty_and_pixels()
    {
        var r = Ok(() => KaggleCsvReader.Read(corpus["good_lf.csv"], Strict));
        Assert.Empty(r.Errors);
        Assert.Equal(["left_eye_center_x", "left_eye_center_y", "nose_tip_x", "nose_tip_y", "Image"], r.Columns.ToArray());
        Assert.Equal([2, 3], r.Rows.Select(x => x.Line));
        var a = r.Rows[0];
        Assert.Null(a.ImageId);
        Assert.Equal(66.5f, a.Coords[0]);
        Assert.Equal(39.25f, a.Coords[1]);
        Assert.True(a.Coords.Skip(2).All(float.IsNaN));
        Assert.Equal(Enumerable.Range(0, 9216).Select(i => (byte)(i % 256)), a.Pixels);
        var b = r.Rows[1];
        Assert.Equal([0f, 96f], b.Coords[..2]);
        Assert.Equal(48.125f, b.Coords[Slot("nose_tip_x")]);
        Assert.Equal(10f, b.Coords[Slot("nose_tip_y")]);
        Assert.All(b.Pixels, p => Assert.Equal(7, p));
        Assert.Equal(new FileInfo(corpus["good_lf.csv"]).Length, r.BytesRead);
    }

    [Fact]
    public void Bom_crlf_blank_lines_trailing_spaces_and_no_final_newline_are_fine()
    {
        var r = Ok(() => KaggleCsvReader.Read(corpus["good_crlf_bom.csv"], Strict));
        Assert.Equal(["left_eye_center_x", "nose_tip_y", "Image"], r.Columns.ToArray());
        Assert.Equal([3, 6, 8], r.Rows.Select(x => x.Line));
        Assert.Equal(66.5f, r.Rows[0].Coords[0]);
        Assert.True(float.IsNaN(r.Rows[0].Coords[Slot("nose_tip_y")]));
        Assert.Equal(Enumerable.Range(0, 9216).Select(i => (byte)(i % 256)), r.Rows[0].Pixels);
        Assert.Equal((1.5f, 2.5f), (r.Rows[1].Coords[0], r.Rows[1].Coords[Slot("nose_tip_y")]));
        Assert.Equal((3f, 4f), (r.Rows[2].Coords[0], r.Rows[2].Coords[Slot("nose_tip_y")]));
    }

    [Fact]
    public void Test_format_reads_image_ids_and_all_coords_missing()
    {
        var r = Ok(() => KaggleCsvReader.Read(corpus["good_test_format.csv"], Strict));
        Assert.Equal([1, 2], r.Rows.Select(x => x.ImageId));
        Assert.All(r.Rows, x => Assert.True(x.Coords.All(float.IsNaN)));
        Assert.Equal(Keypoints.CoordCount, r.Rows[0].Coords.Length);
    }

    [Fact]
    public void Columns_are_matched_by_name_not_position()
    {
        var r = Ok(() => KaggleCsvReader.Read(corpus["good_reordered.csv"], Strict));
        var x = Assert.Single(r.Rows);
        Assert.Equal(7, x.ImageId);
        Assert.Equal(80f, x.Coords[Slot("left_eye_center_x")]);
        Assert.Equal(12.5f, x.Coords[Slot("nose_tip_y")]);
        Assert.Equal(255, x.Pixels[255]);
    }

    [Theory]
    [InlineData("good_lf.csv")]
    [InlineData("good_crlf_bom.csv")]
    [InlineData("bad_truncated_last_line.csv")]
    public void Gz_and_zip_read_the_same_as_csv(string name)
    {
        var p = Ok(() => KaggleCsvReader.Read(corpus[name], Quarantine));
        var gz = Ok(() => KaggleCsvReader.Read(corpus.Gzip(name), Quarantine));
        var zip = Ok(() => KaggleCsvReader.Read(corpus.Zip(name + ".zip", name), Quarantine));
        foreach (var other in new[] { gz, zip })
        {
            Assert.Equal(p.Rows.Select(r => (r.Line, r.ImageId)), other.Rows.Select(r => (r.Line, r.ImageId)));
            Assert.Equal(p.Rows.SelectMany(r => r.Pixels), other.Rows.SelectMany(r => r.Pixels));
            Assert.Equal(p.Rows.SelectMany(r => r.Coords), other.Rows.SelectMany(r => r.Coords));
            Assert.Equal(p.BytesRead, other.BytesRead);
        }
        // gz errors name the .gz file; zip errors name the entry.
        Assert.Equal(p.Errors.Select(e => e with { File = name + ".gz" }).ToArray(), gz.Errors.ToArray());
        Assert.Equal(p.Errors.ToArray(), zip.Errors.ToArray());
    }

    [Fact]
    public void Zip_with_several_csv_entries_needs_ZipEntry()
    {
        var zip = corpus.Zip("two.zip", "good_lf.csv", "good_test_format.csv");
        var err = Fail(() => KaggleCsvReader.Read(zip, Strict));
        Assert.Contains("expected exactly one .csv entry, found 2", err.Message);
        var r = Ok(() => KaggleCsvReader.Read(zip, Strict with { ZipEntry = "good_test_format.csv" }));
        Assert.Equal([1, 2], r.Rows.Select(x => x.ImageId));
        Assert.Contains("no entry 'nope.csv'", Fail(() => KaggleCsvReader.Read(zip, Strict with { ZipEntry = "nope.csv" })).Message);
    }

    [Fact]
    public void Missing_file_is_a_located_error()
    {
        var err = Fail(() => KaggleCsvReader.Read(corpus["does_not_exist.csv"], Strict));
        Assert.Equal(KaggleCsvReader.IoErrorCode, err.Code);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Many_blocks_keep_file_order_and_line_numbers(int threads)
    {
        // ~300 rows of ~18 KB = several 1 MiB blocks; bad rows scattered, some lines CRLF, some blank.
        var path = Path.Combine(corpus.Dir, $"big-{threads}.csv");
        var sb = new StringBuilder("ImageId,nose_tip_x,Image\n");
        var pix = CorpusFixture.Pix(9216);
        var bad = new HashSet<int> { 17, 150, 299 };
        var line = 2;
        var wantErrLines = new List<int>();
        var wantRows = new List<(int Line, int Id)>();
        for (var i = 1; i <= 300; i++)
        {
            if (i % 37 == 0) { sb.Append('\n'); line++; }
            var badRow = bad.Contains(i);
            sb.Append(i).Append(',').Append(i % 90).Append(',').Append(badRow ? CorpusFixture.Pix(9000) : pix).Append(i % 2 == 0 ? "\r\n" : "\n");
            if (badRow) wantErrLines.Add(line); else wantRows.Add((line, i));
            line++;
        }
        File.WriteAllText(path, sb.ToString());

        var r = Ok(() => KaggleCsvReader.Read(path, Quarantine with { Threads = threads }));
        Assert.Equal(wantRows, r.Rows.Select(x => (x.Line, x.ImageId!.Value)));
        Assert.Equal(wantErrLines, r.Errors.Select(e => e.Line));
        Assert.All(r.Errors, e => Assert.Equal("9000", e.Found));
        Assert.All(r.Rows, x => Assert.Equal(x.ImageId!.Value % 90, x.Coords[Slot("nose_tip_x")]));

        var s = Assert.IsType<RowsRejected>(Fail(() => KaggleCsvReader.Read(path, Strict with { Threads = threads })));
        Assert.Equal(wantErrLines, s.Errors.Select(e => e.Line));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ReadBatches_streams_the_same_rows_in_order(int threads)
    {
        var path = Path.Combine(corpus.Dir, $"stream-{threads}.csv");
        var pix = CorpusFixture.Pix(9216);
        File.WriteAllText(path, "ImageId,Image\n" + string.Concat(Enumerable.Range(1, 200).Select(i => $"{i},{(i == 120 ? "x" : pix)}\n")));
        var o = Quarantine with { Threads = threads };
        var whole = Ok(() => KaggleCsvReader.Read(path, o));
        var got = new List<ParsedRow>();
        var errs = new List<RowError>();
        var batches = 0;
        var res = Ok(() => KaggleCsvReader.ReadBatches(path, o, b => { got.AddRange(b.Rows); errs.AddRange(b.Errors); batches++; }));
        Assert.True(batches > 1);
        Assert.Empty(res.Rows);
        Assert.Equal(whole.Rows.Select(r => (r.Line, r.ImageId)), got.Select(r => (r.Line, r.ImageId)));
        Assert.Equal(whole.Errors.ToArray(), errs.ToArray());
        Assert.Equal(whole.Errors.ToArray(), res.Errors.ToArray());

        var strictGot = new List<ParsedRow>();
        var err = Assert.IsType<RowsRejected>(Fail(() => KaggleCsvReader.ReadBatches(path, Strict with { Threads = threads }, b => strictGot.AddRange(b.Rows))));
        Assert.Equal([121], err.Errors.Select(e => e.Line));
        Assert.All(strictGot, r => Assert.True(r.Line < 121));
    }

    [Fact]
    public void Cancellation_surfaces_as_cancellation()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => KaggleCsvReader.Read(corpus["good_lf.csv"], Strict, cts.Token));
    }

    [RealDataFact("train.csv.gz")]
    public void Real_train_file_has_2951_complete_rows()
    {
        var path = Path.Combine(RepoPaths.FacesReal!, "train.csv.gz");
        var r = Ok(() => KaggleCsvReader.Read(path, Strict));
        Assert.Empty(r.Errors);
        Assert.Equal(2951, r.Rows.Length);
        Assert.All(r.Rows, x => Assert.True(x.Coords.All(c => !float.IsNaN(c))));
        Assert.Equal(Keypoints.Columns.Add("Image").ToArray(), r.Columns.ToArray());
        output.WriteLine($"{r.Rows.Length} rows, {r.BytesRead:N0} bytes in {r.Elapsed.TotalMilliseconds:F0} ms");
    }

    [BenchFact]
    public void Bench_kaggle_size_file()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fkd-parse-bench");
        var path = ParseBench.EnsureKaggleSizeFile(dir);
        foreach (var t in new[] { 1, 2 })
        {
            var b = ParseBench.Measure(path, t);
            output.WriteLine($"threads={b.Threads} bytes={b.Bytes:N0} rows={b.Rows} median={b.MedianSeconds:F3}s " +
                             $"{b.GigabytesPerSecond:F3} GB/s cpu={b.MedianCpuSeconds:F3}s ({b.Bytes / b.MedianCpuSeconds / 1e9:F2} GB per CPU-s) peakWS={b.PeakWorkingSetBytes / 1e6:F0} MB managed={b.ManagedBytesAfterRead / 1e6:F0} MB");
            Assert.Equal(ParseBench.KaggleRows, b.Rows);
        }
    }

    private static int Slot(string column) => Keypoints.Columns.IndexOf(column);

    private static ParseResult Ok(Func<ParseResult> read)
    {
        try { return read(); }
        catch (InvalidDataException e) { throw new Xunit.Sdk.XunitException("expected success, got: " + e.Message); }
    }

    private static Error Fail(Func<ParseResult> read)
    {
        ParseResult r;
        try { r = read(); }
        catch (InvalidDataException e) { return CsvRejected.ErrorOf(e) ?? throw new Xunit.Sdk.XunitException("a reader error without its structured error: " + e.Message); }
        throw new Xunit.Sdk.XunitException($"expected failure, got {r.Rows.Length} rows");
    }
}
