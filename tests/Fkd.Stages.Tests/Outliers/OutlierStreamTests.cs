using Fkd.Stages.Faces;
using Fkd.Stages.Outliers;
using Fkd.Stages.Tests.Faces;

namespace Fkd.Stages.Tests.Outliers;

public sealed class OutlierStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-outstream-").FullName;
    private static readonly Dictionary<string, string> Meta = new() { ["fkd.stage"] = "outliers" };

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData(0, 4)]    // empty input
    [InlineData(23, 5)]   // a short last row group
    [InlineData(150, 2048)]
    public async Task Reading_by_row_groups_gives_the_review_the_whole_table_code_wrote(int n, int group)
    {
        var rows = FaceTableStreamTests.Rows(n, seed: 8);
        var input = Path.Combine(_dir, "in.parquet");
        await FaceTable.WriteAsync(input, rows, new Dictionary<string, string>(), rowGroupSize: group);
        var p = new OutlierParams();

        // The stage as it was: the whole table in memory.
        var whole = await FaceTable.ReadAsync(input);
        var checks = OutlierScoring.Score(whole.Select(r => r.Coords).ToArray(), p);
        var expected = whole.Select((r, i) => new ReviewRow(r.Id, r.Hash, checks[i])).OrderByDescending(r => r.Check.Score).ThenBy(r => r.Id).ToArray();
        var a = Path.Combine(_dir, "whole.parquet");
        await ReviewTable.WriteAsync(a, expected, Meta);

        var (review, streamedChecks, held) = await OutlierStage.ReviewAsync(input, p, CancellationToken.None);
        var b = Path.Combine(_dir, "streamed.parquet");
        await ReviewTable.WriteAsync(b, review, Meta);

        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Equal(ReviewTable.DropCsv(expected), ReviewTable.DropCsv(review));
        Assert.Equal(n, streamedChecks.Length);
        Assert.InRange(held, 0, Math.Min(n, group));
        if (n > 100) Assert.Contains(review, r => r.Check.Flagged); // the synthetic set plants wrong labels: the flag path is exercised
    }

    [Fact]
    public async Task The_images_held_are_one_row_group_not_the_row_count()
    {
        var input = Path.Combine(_dir, "in.parquet");
        await FaceTable.WriteAsync(input, FaceTableStreamTests.Rows(300), new Dictionary<string, string>(), rowGroupSize: 16);
        var (review, _, held) = await OutlierStage.ReviewAsync(input, new OutlierParams(), CancellationToken.None);
        Assert.Equal(300, review.Length);
        Assert.Equal(16, held);
    }
}
