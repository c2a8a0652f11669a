using Fkd.Stages.Faces;
using Fkd.Stages.LabelFix;

namespace Fkd.Stages.Tests.LabelFix;

public sealed class LabelFixesTests
{
    private static string Hash(long id) => id.ToString("x32");

    /// <summary>Coordinate c is 10 + c + id (so rows differ); pixels vary unless given.</summary>
    private static FaceRow Row(long id, byte[]? pixels = null) =>
        new(id, (int)id, Hash(id), pixels ?? Textured(),
            [.. Enumerable.Range(0, Keypoints.CoordCount).Select(c => 10f + c + id)], FaceRow.NoTags);

    private static byte[] Textured() => [.. Enumerable.Range(0, Keypoints.PixelCount).Select(i => (byte)(i * 37 % 256))];

    private static readonly FaceRow[] Rows = [Row(1), Row(2), Row(3), Row(4)];

    /// <summary>"h2" targets row 2's hash, "r3" row id 3; the i-th spec sits on line i + 2 of the file.</summary>
    private static FixTarget Target(string spec, int i, string file)
    {
        var n = long.Parse(spec[1..]);
        var where = $"{file}:{i + 2}";
        return spec[0] == 'h' ? new FixTarget(Hash(n), null, where) : new FixTarget(null, n, where);
    }

    private static DropFix[] Drops(params string[] specs) => [.. specs.Select((s, i) => new DropFix(Target(s, i, "drops.csv"), "why " + s))];

    [Theory]
    [InlineData(new[] { "h2" }, new long[] { 1, 3, 4 }, new string[0])]
    [InlineData(new[] { "r3" }, new long[] { 1, 2, 4 }, new string[0])]
    [InlineData(new[] { "h2", "r4" }, new long[] { 1, 3 }, new string[0])]
    [InlineData(new[] { "r9" }, new long[] { 1, 2, 3, 4 }, new[] { "drops.csv:2: drop matches no row" })]
    [InlineData(new[] { "r1", "h7", "h3" }, new long[] { 2, 4 }, new[] { "drops.csv:3: drop matches no row" })]
    [InlineData(new[] { "h2", "r2" }, new long[] { 1, 3, 4 }, new[] { "drops.csv:3: drop repeats an earlier drop of the same row" })]
    public void Drops_match_by_hash_or_row_and_unmatched_ones_are_listed_with_their_line(string[] specs, long[] kept, string[] unmatched)
    {
        var drops = Drops(specs);
        var res = LabelFixes.Apply(Rows, drops, [], blankStd: -1);

        Assert.Equal(kept, res.Rows.Select(r => r.Id));
        Assert.Equal(unmatched, res.Unmatched);
        var dropped = Rows.Select(r => r.Id).Except(kept).ToArray();
        Assert.Equal(dropped, res.Applied.Select(a => a.Row));
        Assert.All(res.Applied, a => Assert.Equal("drop", a.Action));
        Assert.All(res.Applied, a => Assert.Equal(Hash(a.Row), a.Hash));
        Assert.All(res.Applied, a => Assert.StartsWith("why ", a.Detail));
    }

    [Fact]
    public void A_hash_drop_removes_every_row_with_that_image()
    {
        FaceRow[] rows = [Row(1), Row(2) with { Hash = Hash(1) }, Row(3)];
        var res = LabelFixes.Apply(rows, Drops("h1"), [], -1);
        Assert.Equal([3L], res.Rows.Select(r => r.Id));
        Assert.Empty(res.Unmatched);
    }

    [Theory]
    [InlineData("r2", 0)]
    [InlineData("h3", 10)]
    [InlineData("r4", 14)]
    public void A_fix_moves_exactly_the_named_keypoint_of_the_matched_row(string spec, int keypoint)
    {
        var target = Target(spec, 0, "fixes.csv");
        var before = Rows.Select(r => (float[])r.Coords.Clone()).ToArray();

        var res = LabelFixes.Apply(Rows, [], [new KeypointFix(target, keypoint, 5.5f, 6.25f, "moved")], -1);

        Assert.Equal([1L, 2L, 3L, 4L], res.Rows.Select(r => r.Id));
        for (var i = 0; i < Rows.Length; i++)
        {
            var hit = target.Matches(Rows[i]);
            for (var c = 0; c < Keypoints.CoordCount; c++)
            {
                var expected = hit && c == 2 * keypoint ? 5.5f : hit && c == 2 * keypoint + 1 ? 6.25f : before[i][c];
                Assert.Equal(expected, res.Rows[i].Coords[c]);
            }
            Assert.Equal(before[i], Rows[i].Coords); // the input rows are not changed
        }
        var a = Assert.Single(res.Applied);
        var row = Rows.Single(target.Matches);
        Assert.Equal(("fix", row.Hash, row.Id), (a.Action, a.Hash, a.Row));
        var (ox, oy) = (row.Coords[2 * keypoint], row.Coords[2 * keypoint + 1]);
        Assert.Equal(FormattableString.Invariant($"{Keypoints.Names[keypoint]} ({ox:F2}, {oy:F2}) → (5.50, 6.25): moved"), a.Detail);
        Assert.Empty(res.Unmatched);
    }

    [Theory]
    [InlineData("r9")]  // no such row
    [InlineData("h2")]  // the row exists but was dropped first
    public void A_fix_that_matches_no_row_is_listed_and_changes_nothing(string spec)
    {
        var fix = new KeypointFix(Target(spec, 1, "fixes.csv"), 3, 1, 1, "r");
        var res = LabelFixes.Apply(Rows, Drops("r2"), [fix], -1);
        Assert.Equal(["fixes.csv:3: fix matches no row"], res.Unmatched.AsEnumerable());
        Assert.Equal([1L, 3L, 4L], res.Rows.Select(r => r.Id));
        Assert.All(res.Rows, r => Assert.Equal(Row(r.Id).Coords, r.Coords));
    }

    private static byte[] Constant(byte v) => [.. Enumerable.Repeat(v, Keypoints.PixelCount)];
    private static byte[] Alternating() => [.. Enumerable.Range(0, Keypoints.PixelCount).Select(i => (byte)(i % 2 == 0 ? 100 : 102))]; // std exactly 1

    [Theory]
    [InlineData(-1.0, new long[] { 1, 2, 3 })]    // rule off
    [InlineData(0.0, new long[] { 1, 2, 3 })]     // nothing has std < 0
    [InlineData(0.5, new long[] { 1, 3 })]
    [InlineData(1.0, new long[] { 1, 3 })]        // std 1 is not below 1
    [InlineData(1.01, new long[] { 1 })]
    [InlineData(1000.0, new long[0])]
    public void Blank_images_are_dropped_below_the_pixel_std(double blankStd, long[] kept)
    {
        FaceRow[] rows = [Row(1), Row(2, Constant(128)), Row(3, Alternating())];
        var res = LabelFixes.Apply(rows, [], [], blankStd);
        Assert.Equal(kept, res.Rows.Select(r => r.Id));
        Assert.Equal(rows.Select(r => r.Id).Except(kept), res.Applied.Select(a => a.Row));
        Assert.All(res.Applied, a => Assert.Equal("drop-blank", a.Action));
    }

    [Fact]
    public void Pixel_std_of_known_images()
    {
        Assert.Equal(0, LabelFixes.PixelStd(Constant(77)), 9);
        Assert.Equal(1, LabelFixes.PixelStd(Alternating()), 9);
        Assert.Equal(127.5, LabelFixes.PixelStd([0, 255]), 9);
    }
}

public sealed class FixFilesTests
{
    private static string Write(TempDir dir, string name, string text)
    {
        var path = dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string H = "0123456789ABCDEF0123456789ABCDEF";

    [Fact]
    public void Drops_by_hash_or_row_with_free_text_reasons()
    {
        using var dir = new TempDir();
        var path = Write(dir, "drops.csv",
            $"image_hash,row,reason\n{H},,eyes swapped, mouth off, badly\n\n,17,blurry\n{H.ToLowerInvariant()},3,\"said \"\"no\"\", twice\"\n");

        var d = FixFiles.ReadDrops(path);

        Assert.Equal(3, d.Length);
        Assert.Equal(new FixTarget(H.ToLowerInvariant(), null, "drops.csv:2"), d[0].Target); // hashes compared in lower case
        Assert.Equal("eyes swapped, mouth off, badly", d[0].Reason);                       // unquoted commas: the rest of the line
        Assert.Equal(new FixTarget(null, 17, "drops.csv:4"), d[1].Target);                   // empty hash: by row; blank line counted
        Assert.Equal("blurry", d[1].Reason);
        Assert.Equal(H.ToLowerInvariant(), d[2].Target.Hash);                               // a hash wins over a row
        Assert.Equal("said \"no\", twice", d[2].Reason);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("14", 14)]
    [InlineData("7", 7)]
    [InlineData("left_eye_center", 0)]
    [InlineData("nose_tip", 10)]
    [InlineData("mouth_center_bottom_lip", 14)]
    public void A_fix_names_its_keypoint_by_name_or_index(string keypoint, int expected)
    {
        using var dir = new TempDir();
        var path = Write(dir, "fixes.csv", $"row,keypoint,x,y,reason\n3,{keypoint},10.5,96,moved, a lot\n");
        var f = Assert.Single(FixFiles.ReadFixes(path));
        Assert.Equal(new FixTarget(null, 3, "fixes.csv:2"), f.Target);
        Assert.Equal(expected, f.Keypoint);
        Assert.Equal((10.5f, 96f), (f.X, f.Y));
        Assert.Equal("moved, a lot", f.Reason);
    }

    [Theory]
    [InlineData(false, "", "drops.csv:1:1:")]
    [InlineData(false, "reason\nfoo\n", "drops.csv:1:1: header")]
    [InlineData(false, "image_hash\n" + H + "\n", "drops.csv:1:1: header: expected a reason column")]
    [InlineData(false, "image_hash,reason\nxyz,bad\n", "drops.csv:2:1: image_hash")]
    [InlineData(false, "row,reason\n1,ok\n  " + H + "0,bad\n", "drops.csv:3:1:")]
    [InlineData(false, "row,image_hash,reason\n1,abc,bad\n", "drops.csv:2:3: image_hash")]
    [InlineData(true, "row,keypoint,x,y,reason\n3,nose_tip,10\n", "fixes.csv:2:1: expected 5 fields")]
    [InlineData(true, "row,keypoint,x,y,reason\n3,nose,10,20,r\n", "fixes.csv:2:3: keypoint")]
    [InlineData(true, "row,keypoint,x,y,reason\n3,15,10,20,r\n", "fixes.csv:2:3: keypoint")]
    [InlineData(true, "row,keypoint,x,y,reason\n3,1,97,20,r\n", "fixes.csv:2:5: x")]
    [InlineData(true, "row,keypoint,x,y,reason\n3,1,-1,20,r\n", "fixes.csv:2:5: x")]
    [InlineData(true, "row,keypoint,x,y,reason\n3,1,10,abc,r\n", "fixes.csv:2:8: y")]
    [InlineData(true, "row,keypoint,x,y,reason\n1,0,1,1,ok\n\n12,0,1,100,r\n", "fixes.csv:4:8: y")]
    [InlineData(true, "row,keypoint,x,reason\n3,1,10,r\n", "fixes.csv:1:1: header: expected a y column")]
    public void Errors_carry_file_line_and_column(bool fixes, string text, string prefix)
    {
        using var dir = new TempDir();
        var path = Write(dir, fixes ? "fixes.csv" : "drops.csv", text);
        var e = Assert.Throws<InvalidDataException>(() => fixes ? FixFiles.ReadFixes(path).Length : FixFiles.ReadDrops(path).Length);
        Assert.StartsWith(prefix, e.Message);
    }
}
