using System.Collections.Immutable;
using System.Globalization;
using Fkd.Stages.Faces;
using Fkd.Stages.LabelFix;
using Fkd.Stages.Tests.Faces;

namespace Fkd.Stages.Tests.LabelFix;

public sealed class LabelFixStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-fixstream-").FullName;
    private static readonly Dictionary<string, string> Meta = new() { ["fkd.stage"] = "labelfix" };

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>The label-fix core as it was before it streamed, kept here verbatim as the reference: every row in memory.</summary>
    private static (List<FaceRow> Rows, List<AppliedFix> Applied, List<string> Unmatched) WholeTable(IReadOnlyList<FaceRow> rows, IReadOnlyList<DropFix> drops, IReadOnlyList<KeypointFix> fixes, double blankStd)
    {
        var applied = new List<AppliedFix>();
        var unmatched = new List<string>();
        var kept = new List<FaceRow>(rows.Count);
        var dropUsed = new bool[drops.Count];
        foreach (var r in rows)
        {
            var hit = -1;
            for (var i = 0; i < drops.Count && hit < 0; i++) if (drops[i].Target.Matches(r)) hit = i;
            if (hit >= 0) { dropUsed[hit] = true; applied.Add(new AppliedFix("drop", r.Hash, r.Id, drops[hit].Reason)); continue; }
            kept.Add(r);
        }
        for (var i = 0; i < drops.Count; i++)
            if (!dropUsed[i])
                unmatched.Add(rows.Any(drops[i].Target.Matches)
                    ? $"{drops[i].Target.Where}: drop repeats an earlier drop of the same row"
                    : $"{drops[i].Target.Where}: drop matches no row");
        foreach (var fx in fixes)
        {
            var idx = kept.FindIndex(fx.Target.Matches);
            if (idx < 0) { unmatched.Add($"{fx.Target.Where}: fix matches no row"); continue; }
            var r = kept[idx];
            var c = (float[])r.Coords.Clone();
            var (ox, oy) = (c[2 * fx.Keypoint], c[2 * fx.Keypoint + 1]);
            c[2 * fx.Keypoint] = fx.X;
            c[2 * fx.Keypoint + 1] = fx.Y;
            kept[idx] = r with { Coords = c };
            applied.Add(new AppliedFix("fix", r.Hash, r.Id,
                string.Create(CultureInfo.InvariantCulture, $"{Keypoints.Names[fx.Keypoint]} ({ox:F2}, {oy:F2}) → ({fx.X:F2}, {fx.Y:F2}): {fx.Reason}")));
        }
        if (blankStd >= 0)
            kept.RemoveAll(r =>
            {
                var sd = LabelFixes.PixelStd(r.Pixels);
                if (sd >= blankStd) return false;
                applied.Add(new AppliedFix("drop-blank", r.Hash, r.Id, string.Create(CultureInfo.InvariantCulture, $"pixel std {sd:F2} < {blankStd}")));
                return true;
            });
        return (kept, applied, unmatched);
    }

    /// <summary>Rows with tags on two of three; every seventh (from the fifth) blank.</summary>
    private static ImmutableArray<FaceRow> Rows(int n) =>
        [.. FaceTableStreamTests.Rows(n, seed: 3).Select((r, i) => i % 7 == 4 ? r with { Pixels = Enumerable.Repeat((byte)90, Keypoints.PixelCount).ToArray() } : r)];

    private static FixTarget ById(long id, int line) => new(null, id, $"drop.csv:{line}");

    [Theory]
    [InlineData(0, 4, 4)]     // empty input
    [InlineData(11, 4, 3)]    // groups that are not whole, in and out; drops and fixes on both sides of a group boundary
    [InlineData(23, 5, 2048)] // the stage's own output group size
    [InlineData(3, 2, 2)]     // the only tagged rows dropped: no tag column, as the whole-table writer made
    public async Task Streaming_writes_the_bytes_the_whole_table_code_wrote(int n, int inGroup, int outGroup)
    {
        var rows = Rows(n);
        var input = Path.Combine(_dir, "in.parquet");
        await FaceTable.WriteAsync(input, rows, new Dictionary<string, string>(), rowGroupSize: inGroup);
        DropFix[] drops = n switch
        {
            0 => [],
            3 => [new(ById(1, 2), "tagged"), new(new FixTarget(rows[2].Hash, null, "drop.csv:3"), "tagged too")],
            _ => [new(ById(2, 2), "two"), new(new FixTarget(rows[inGroup + 2].Hash, null, "drop.csv:3"), "in group 2"), new(ById(n - 1, 4), "last")],
        };
        KeypointFix[] fixes = n < 5 ? [] :
        [
            new(ById(inGroup - 1, 2), 0, 10, 20, "end of group 1"),
            new(new FixTarget(rows[inGroup + 1].Hash, null, "fixes.csv:3"), 14, 30.5f, 40, "in group 2"),
            new(ById(inGroup - 1, 4), 0, 11, 21, "the same row again"),
            new(ById(4, 5), 3, 1, 2, "a blank row (or the last of group 1): fixed, then dropped when blank"),
        ];
        var (expected, applied, unmatched) = WholeTable(rows, drops, fixes, 2.0);
        Assert.Empty(unmatched);
        var reference = Path.Combine(_dir, "whole.parquet");
        await FaceTable.WriteAsync(reference, expected, Meta, rowGroupSize: outGroup);

        var output = Path.Combine(_dir, "streamed.parquet");
        var s = await LabelFixStream.RunAsync(input, output, drops, fixes, 2.0, Meta, CancellationToken.None, rowGroupSize: outGroup, capacity: 3);

        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(output));
        Assert.Equal(applied, s.Plan.Applied);
        Assert.Equal(expected.Count, s.RowsOut);
        Assert.Equal(n, s.RowsIn);
        if (n > 5) Assert.Contains(s.Plan.Applied, a => a.Action == "drop-blank");
        if (n > 5) Assert.InRange(s.Plan.Applied.Count(a => a.Action == "drop"), 3, 5); // a hash drops every row with that image (the synthetic set plants duplicates)
        Assert.Equal(LabelFixes.Apply(rows, drops, fixes, 2.0).Rows.Select(r => (r.Id, string.Join(',', r.Coords))), expected.Select(r => (r.Id, string.Join(',', r.Coords))));
    }

    [Fact]
    public async Task A_fix_that_matches_nothing_fails_with_its_line_before_any_row_is_written()
    {
        var input = Path.Combine(_dir, "in.parquet");
        await FaceTable.WriteAsync(input, Rows(6), new Dictionary<string, string>(), rowGroupSize: 4);
        var output = Path.Combine(_dir, "never.parquet");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => LabelFixStream.RunAsync(input, output, [], [new(ById(99, 7), 0, 1, 1, "gone")], -1, Meta, CancellationToken.None));
        Assert.Contains("drop.csv:7: fix matches no row", e.Message);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task What_a_streaming_label_fix_holds_is_bounded_by_the_row_groups_and_blocks_not_the_row_count()
    {
        const int group = 8, capacity = 5;
        // Input rows of the groups the flow reaches into (its two blocks hold 2 × capacity + the one being sent), plus one output group.
        const long bound = ((2 * capacity + 1 + group - 1) / group + 1) * group + group;
        foreach (var n in new[] { 20, 300 })
        {
            var input = Path.Combine(_dir, $"in{n}.parquet");
            await FaceTable.WriteAsync(input, Rows(n), new Dictionary<string, string>(), rowGroupSize: group);
            var s = await LabelFixStream.RunAsync(input, Path.Combine(_dir, $"out{n}.parquet"), [], [], 2.0, Meta, CancellationToken.None, rowGroupSize: group, capacity: capacity);
            Assert.Equal((n + group - 1) / group, s.RowGroupsIn);
            Assert.True(s.RowsOut < n, "blank rows are dropped");
            Assert.InRange(s.MaxRowsInFlight, 1, 2 * capacity + 1);
            Assert.InRange(s.MaxInputGroupsHeld, 1, 3);
            Assert.InRange(s.PeakRowsHeld, 1, bound);
        }
        Assert.True(bound < 300, "the bound must be below the larger input's row count for the test to mean anything");
    }
}
