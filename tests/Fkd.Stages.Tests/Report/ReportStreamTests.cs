using System.Collections.Immutable;
using Fkd.Flow.Stages;
using Fkd.Stages.Dedup;
using Fkd.Stages.Faces;
using Fkd.Stages.Outliers;
using Fkd.Stages.Report;
using Fkd.Stages.Source;

namespace Fkd.Stages.Tests.Report;

public sealed class ReportStreamTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    internal static ImmutableArray<FaceRow> Rows(IEnumerable<Face> faces) =>
        [.. faces.Select((f, i) => new FaceRow(f.Id, i + 2, ImageHash.HexOf(f.Pixels), f.Pixels, f.Coords, FaceRow.NoTags))];

    /// <summary>
    /// Synthetic train (4-keypoint and full rows, duplicate groups, wrong labels, a blank image) with labels
    /// knocked out here and there: every 17th row from the 5th loses a keypoint, every 23rd from the 3rd
    /// keeps nose-tip x but loses its y (an extreme over y meets NaN), and one id repeats with another image.
    /// </summary>
    private static (ImmutableArray<FaceRow> Train, ImmutableArray<FaceRow> Test) Data(int trainRows, int testRows, int seed)
    {
        var d = SyntheticFaces.Generate(new SyntheticOptions(TrainRows: trainRows, TestRows: Math.Max(1, testRows), Seed: seed, DuplicateGroups: 6, WrongLabels: 5, BlankImages: 1));
        var train = Rows(d.Train).Select((r, i) =>
        {
            var c = (float[])r.Coords.Clone();
            if (i % 17 == 5) { c[6] = float.NaN; c[7] = float.NaN; }
            if (i % 23 == 3) c[21] = float.NaN;
            return r with { Coords = c };
        }).ToList();
        train.Add(train[^1] with { Id = train[3].Id, Hash = train[10].Hash, Pixels = train[10].Pixels });
        return ([.. train], testRows == 0 ? [] : Rows(d.Test));
    }

    /// <summary>The outlier stage's scores, plus a flagged entry whose id names another image (found by hash) and one matching no row.</summary>
    private static ImmutableArray<ReviewEntry> Review(IReadOnlyList<FaceRow> train)
    {
        var checks = OutlierScoring.Score(train.Select(r => r.Coords).ToArray(), new OutlierParams());
        return [.. train.Select((r, i) => new ReviewEntry(r.Id, r.Hash, checks[i].Score, checks[i].Flagged, checks[i].Reasons)),
            new ReviewEntry(train[0].Id, train[7].Hash, 1e6, true, "id of row 0, image of row 7"),
            new ReviewEntry(-5, new string('0', 32), 1e7, true, "nowhere")];
    }

    private async Task<string> Write(string name, IReadOnlyList<FaceRow> rows, int rowGroupSize)
    {
        var path = _dir.File(name);
        await FaceTable.WriteAsync(path, rows, new Dictionary<string, string>(), rowGroupSize: rowGroupSize);
        return path;
    }

    public static TheoryData<int, int, int, bool, bool, int> Cases => new()
    {
        // train rows, test rows, row-group size, groups input, review input, max_rows_for_pca
        { 130, 40, 16, true, true, 60 },    // PCA on an evenly spaced share; duplicates across row groups
        { 130, 40, 7, false, true, 6000 },  // no groups input: groups from the hashes; all rows in the PCA
        { 90, 0, 10, false, false, 30 },    // no test table, no review
        { 61, 25, 2048, true, false, 6000 }, // the stage's own row-group size: one group
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_streamed_report_is_the_bytes_of_the_whole_table_report(int trainRows, int testRows, int rowGroupSize, bool withGroups, bool withReview, int maxPca)
    {
        var (train, test) = Data(trainRows, testRows, seed: trainRows);
        var trainPath = await Write("train.parquet", train, rowGroupSize);
        var testPath = testRows > 0 ? await Write("test.parquet", test, rowGroupSize) : null;
        // A groups file as dedup writes it, plus a group naming an id no row has.
        ImmutableArray<DuplicateGroup>? groups = withGroups ? [.. Duplicates.Plan([.. train.Select(r => new RowLabel(r.Hash, r.Id, r.Coords))]).Groups,
            new DuplicateGroup(train[1].Hash, [train[1].Id, 99_999])] : null;
        var review = withReview ? Review(train) : (ImmutableArray<ReviewEntry>?)null;
        var o = new ReportParams { MaxRowsForPca = maxPca, PcaSide = 16, MaxGroups = 3, MaxOutliers = 6 };

        var (expected, expectedSummary) = WholeTableReport.Build(train, test, groups, review, o);
        var run = await ReportStream.RunAsync(trainPath, testPath, groups, review, o, CancellationToken.None);

        Assert.Equal(expected, run.Html);
        Assert.Equal(expectedSummary, run.Summary);
        Assert.True(expectedSummary.DuplicateGroups >= 3, "duplicate groups should be exercised");
        Assert.True(expectedSummary.FourRows > 0 && expectedSummary.FullRows > 0 && expectedSummary.TrainRows > expectedSummary.FourRows + expectedSummary.FullRows,
            "full, four and other rows should all be exercised");
        var groupsPerPass = (train.Length + rowGroupSize - 1) / rowGroupSize;
        Assert.InRange(run.RowGroupsRead, groupsPerPass + (testRows + rowGroupSize - 1) / rowGroupSize + 1,
            2 * groupsPerPass + (testRows + rowGroupSize - 1) / rowGroupSize);
    }

    [Fact]
    public async Task The_stage_writes_the_whole_table_report_from_its_inputs()
    {
        var (train, test) = Data(80, 20, seed: 9);
        var inputs = new Dictionary<string, ResolvedInput>
        {
            ["train"] = new("train", "t", await Write("train.parquet", train, 9), IsFile: true),
            ["test"] = new("test", "s", await Write("test.parquet", test, 9), IsFile: true),
        };
        var output = _dir.File("out");
        Directory.CreateDirectory(output);
        var ctx = new StageContext("report", "k", ParamSchema.Of<ReportParams>().ToJson(new ReportParams()), inputs.ToImmutableDictionary(),
            output, Serilog.Core.Logger.None, new Progress<StageProgress>());
        var outcome = await new ReportStage().RunAsync(ctx, CancellationToken.None);

        var (expected, summary) = WholeTableReport.Build(train, test, null, null, new ReportParams());
        Assert.Equal(expected, File.ReadAllText(Path.Combine(output, "report.html")));
        Assert.Equal(summary.TrainRows, outcome.Rows);
    }

    [Fact]
    public async Task What_the_report_holds_is_bounded_by_a_row_group_and_the_galleries_not_the_row_count()
    {
        const int group = 16;
        var o = new ReportParams { MaxRowsForPca = 40, PcaSide = 12, MaxGroups = 2, MaxOutliers = 4 };
        // One row group in hand, plus a tile's image for every gallery place (synthetic duplicate groups have at most 3 rows).
        var galleries = 4 * o.ExtremeKeypoints.Length + 3 * o.MaxGroups + o.MaxOutliers;
        var bound = group + galleries;
        foreach (var n in new[] { 60, 600 })
        {
            var (train, test) = Data(n, 30, seed: 5);
            var run = await ReportStream.RunAsync(await Write($"train{n}.parquet", train, group), await Write($"test{n}.parquet", test, group),
                null, Review(train), o, CancellationToken.None);
            Assert.Equal(train.Length, run.Summary.TrainRows);
            Assert.Equal(1, run.MaxGroupsHeld);
            Assert.InRange(run.GalleryImages, 4, galleries);
            Assert.InRange(run.PeakRowsHeld, group, bound);
        }
        Assert.True(bound < 600, "the bound must be below the larger input's row count for the test to mean anything");
    }

    [Theory]
    [InlineData(100, 6000, 100)]  // within the budget: every row
    [InlineData(5000, 1200, 800)] // a share: evenly spaced, ascending
    [InlineData(7, 10, 7)]
    public void The_pca_sample_is_every_row_or_an_evenly_spaced_share(int rows, int max, int expected)
    {
        var share = PcaSample.Share(rows + rows / 2, max);
        var picked = PcaSample.Rows(rows, share);
        Assert.Equal(expected, picked.Length);
        Assert.True(picked.Zip(picked.Skip(1), (a, b) => a < b).All(x => x), "ascending, no repeats");
        Assert.InRange(picked.LastOrDefault(), 0, rows - 1);
    }
}
