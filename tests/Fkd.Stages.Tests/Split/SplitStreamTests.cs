using Fkd.Stages.Faces;
using Fkd.Stages.Split;
using Fkd.Stages.Tests.Faces;

namespace Fkd.Stages.Tests.Split;

public sealed class SplitStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-splitstream-").FullName;
    private static readonly Dictionary<string, string> Meta = new() { ["fkd.stage"] = "split" };

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData(0, 4, 4, 0.3, false)]     // empty input: two empty tables
    [InlineData(11, 4, 3, 0.3, false)]    // groups that are not whole, in and out
    [InlineData(23, 5, 2048, 0.4, true)]  // the stage's own output group size; rows grouped by id mod 4, so groups span row groups
    [InlineData(9, 2, 2, 0.0, false)]     // nothing held out: an empty val table without tag columns
    public async Task Streaming_writes_the_bytes_the_whole_table_code_wrote(int n, int inGroup, int outGroup, double valFraction, bool byPerson)
    {
        var rows = FaceTableStreamTests.Rows(n, seed: 4);
        var input = Path.Combine(_dir, "in.parquet");
        await FaceTable.WriteAsync(input, rows, new Dictionary<string, string>(), rowGroupSize: inGroup);
        Func<FaceRow, string> groupOf = byPerson ? r => $"p{r.Id % 4}" : r => r.Hash;
        var (train, val) = Splits.Assign(rows, groupOf, valFraction, 5, 1);
        string wholeTrain = Path.Combine(_dir, "whole-train.parquet"), wholeVal = Path.Combine(_dir, "whole-val.parquet");
        await FaceTable.WriteAsync(wholeTrain, train, Meta, rowGroupSize: outGroup);
        await FaceTable.WriteAsync(wholeVal, val, Meta, rowGroupSize: outGroup);

        string outTrain = Path.Combine(_dir, "train.parquet"), outVal = Path.Combine(_dir, "val.parquet");
        var s = await SplitStream.RunAsync(input, outTrain, outVal, groupOf, valFraction, 5, 1, Meta, CancellationToken.None, rowGroupSize: outGroup, capacity: 3);

        Assert.Equal(File.ReadAllBytes(wholeTrain), File.ReadAllBytes(outTrain));
        Assert.Equal(File.ReadAllBytes(wholeVal), File.ReadAllBytes(outVal));
        Assert.Equal((train.Length, val.Length), (s.Train, s.Val));
        if (n > 10 && valFraction > 0) Assert.True(train.Length > 0 && val.Length > 0, "both sides should be exercised");
        Assert.Equal(train.Concat(val).GroupBy(r => r.TagOr("labelled", -1)).ToDictionary(g => g.Key, g => (long)g.Count()), s.Labelled);
    }

    [Fact]
    public async Task What_a_streaming_split_holds_is_bounded_by_the_row_groups_and_blocks_not_the_row_count()
    {
        const int group = 8, capacity = 5;
        // Input rows of the groups the flow reaches into (its two blocks hold 2 × capacity + the one being sent), plus one output group per side.
        const long bound = ((2 * capacity + 1 + group - 1) / group + 1) * group + 2 * group;
        foreach (var n in new[] { 20, 300 })
        {
            var input = Path.Combine(_dir, $"in{n}.parquet");
            await FaceTable.WriteAsync(input, FaceTableStreamTests.Rows(n), new Dictionary<string, string>(), rowGroupSize: group);
            var s = await SplitStream.RunAsync(input, Path.Combine(_dir, $"t{n}.parquet"), Path.Combine(_dir, $"v{n}.parquet"), r => r.Hash, 0.3, 5, 1,
                Meta, CancellationToken.None, rowGroupSize: group, capacity: capacity);
            Assert.Equal(n, s.Train + s.Val);
            Assert.Equal((n + group - 1) / group, s.RowGroupsIn);
            Assert.InRange(s.MaxRowsInFlight, 1, 2 * capacity + 1);
            Assert.InRange(s.MaxInputGroupsHeld, 1, 3);
            Assert.InRange(s.PeakRowsHeld, 1, bound);
        }
        Assert.True(bound < 300, "the bound must be below the larger input's row count for the test to mean anything");
    }
}
