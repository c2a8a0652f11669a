using System.Collections.Immutable;
using System.Globalization;
using Fkd.Stages.Augment;
using Fkd.Stages.Faces;
using Fkd.Stages.Tests.Faces;

namespace Fkd.Stages.Tests.Augment;

public sealed class AugmentStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-augstream-").FullName;
    private static readonly Dictionary<string, string> Meta = new() { ["fkd.stage"] = "augment" };

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>The augment stage as it was before it streamed: every row in memory, every variant kept in (row, variant) order, one write.</summary>
    private static List<FaceRow> WholeTable(IReadOnlyList<FaceRow> rows, AugmentParams p)
    {
        var variants = Recipe.Variants(p);
        var output = new List<FaceRow>();
        foreach (var r in rows)
        {
            if (p.Rows == AugmentRows.Full && !r.Face.HasAll) { output.Add(r.Tag("variant", 0)); continue; }
            foreach (var v in variants)
                if (Augmenter.Apply(r.Face, UInt128.Parse(r.Hash, NumberStyles.HexNumber), v, p.Seed) is { Face: { } f } o)
                    output.Add(r with { Pixels = f.Pixels, Coords = f.Coords, Tags = r.Tags.SetItem("variant", o.VariantIndex) });
        }
        return output;
    }

    private static readonly AugmentParams Recipe3 = new() { Flip = true, Rotations = [-13], Shifts = [45], Brightness = [1.5], Threads = 2 };

    [Theory]
    [InlineData(0, 3, 4, AugmentRows.All)]    // empty input
    [InlineData(7, 3, 4, AugmentRows.All)]    // input and output row groups that are not whole
    [InlineData(9, 3, 5, AugmentRows.Full)]   // rows without all keypoints kept as they are
    [InlineData(5, 8, 2048, AugmentRows.All)] // the stage's own output group size
    public async Task Streaming_writes_the_bytes_the_whole_table_code_wrote(int n, int inGroup, int outGroup, AugmentRows which)
    {
        var rows = FaceTableStreamTests.Rows(n, seed: 9);
        var input = Path.Combine(_dir, "in.parquet");
        await FaceTable.WriteAsync(input, rows, new Dictionary<string, string>(), rowGroupSize: inGroup);
        var p = Recipe3 with { Rows = which };
        var expected = WholeTable(rows, p);
        var reference = Path.Combine(_dir, "whole.parquet");
        await FaceTable.WriteAsync(reference, expected, Meta, rowGroupSize: outGroup);

        var output = Path.Combine(_dir, "streamed.parquet");
        var s = await AugmentStream.RunAsync(input, output, p, Meta, null, CancellationToken.None, rowGroupSize: outGroup, capacity: 4);

        var back = await FaceTable.ReadAsync(output);
        Assert.Equal(expected.Select(r => (r.Id, r.Hash, string.Join(',', r.Tags), string.Join(',', r.Coords))), back.Select(r => (r.Id, r.Hash, string.Join(',', r.Tags), string.Join(',', r.Coords))));
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(output));
        Assert.Equal(expected.Count, s.RowsOut);
        Assert.Equal(n, s.FacesIn);
        Assert.Equal(Math.Max(1, (expected.Count + outGroup - 1) / outGroup), s.RowGroupsOut);
        if (which == AugmentRows.All) Assert.True(s.Dropped > 0 || n == 0, "the 45 px shifts should push some keypoint out"); // the drop path is exercised
    }

    [Fact]
    public async Task What_a_streaming_augment_holds_is_bounded_by_the_row_groups_and_blocks_not_the_row_count()
    {
        const int group = 8, capacity = 6;
        var p = Recipe3 with { Rotations = [-5], Shifts = [], Brightness = [] }; // 3 variants, none dropped
        long Bound()
        {
            var inFlight = 2 * capacity + 2;
            var jobsPerGroup = group * 3;
            var groupsHeld = (inFlight + jobsPerGroup - 1) / jobsPerGroup + 1;
            return groupsHeld * group + inFlight + group;
        }
        foreach (var n in new[] { 20, 300 })
        {
            var input = Path.Combine(_dir, $"in{n}.parquet");
            await FaceTable.WriteAsync(input, FaceTableStreamTests.Rows(n), new Dictionary<string, string>(), rowGroupSize: group);
            var s = await AugmentStream.RunAsync(input, Path.Combine(_dir, $"out{n}.parquet"), p, Meta, null, CancellationToken.None, rowGroupSize: group, capacity: capacity);
            Assert.Equal(3L * n, s.RowsOut);
            Assert.Equal((n + group - 1) / group, s.RowGroupsIn);
            Assert.InRange(s.MaxVariantsInFlight, 1, 2 * capacity + 1);
            Assert.InRange(s.MaxInputGroupsHeld, 1, 3);
            Assert.InRange(s.PeakRowsHeld, 1, Bound());
        }
        Assert.True(Bound() < 300, "the bound must be below the larger input's row count for the test to mean anything");
    }

    [Fact]
    public async Task A_missing_input_fails_without_leaving_an_output()
    {
        var output = Path.Combine(_dir, "never.parquet");
        await Assert.ThrowsAnyAsync<IOException>(() => AugmentStream.RunAsync(Path.Combine(_dir, "absent.parquet"), output, Recipe3, Meta, null, CancellationToken.None));
        Assert.False(File.Exists(output));
    }
}
