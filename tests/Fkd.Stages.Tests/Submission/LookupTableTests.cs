using Fkd.Stages.Faces;
using Fkd.Stages.Submission;

namespace Fkd.Stages.Tests.Submission;

public sealed class LookupTableTests
{
    private const string KaggleHeader = "RowId,ImageId,FeatureName,Location\n";

    private static string Write(TempDir dir, string text)
    {
        var path = dir.File("lookup.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData(KaggleHeader + "1,1,left_eye_center_x,\n2,1,left_eye_center_y,\n3,2,nose_tip_x,\n")]  // Kaggle's empty Location
    [InlineData(KaggleHeader + "1,1,left_eye_center_x\n2,1,left_eye_center_y\n3,2,nose_tip_x\n")]     // ... or left out
    [InlineData("RowId,ImageId,FeatureName\r\n1,1,left_eye_center_x\r\n\r\n2,1, left_eye_center_y \r\n3,2,nose_tip_x\r\n")]
    [InlineData("FeatureName,ImageId,RowId\nleft_eye_center_x,1,1\nleft_eye_center_y,1,2\nnose_tip_x,2,3\n")] // columns by name
    public void Reads_row_image_and_feature(string text)
    {
        using var dir = new TempDir();
        var rows = LookupTable.Read(Write(dir, text));
        Assert.Equal([new LookupRow(1, 1, "left_eye_center_x"), new LookupRow(2, 1, "left_eye_center_y"), new LookupRow(3, 2, "nose_tip_x")], rows.AsEnumerable());
    }

    [Theory]
    [InlineData("RowId,ImageId\n1,1\n", "lookup.csv:1:1: header: expected a FeatureName column")]
    [InlineData("RowId,FeatureName,Location\n1,nose_tip_x,\n", "lookup.csv:1:1: header: expected a ImageId column")]
    [InlineData(KaggleHeader + "1,1\n", "lookup.csv:2:1:")]                                  // FeatureName missing
    [InlineData(KaggleHeader + "1,1,nose_tip_x,\nx,1,nose_tip_y,\n", "lookup.csv:3:1:")]    // non-integer RowId
    [InlineData(KaggleHeader + "1,1.5,nose_tip_x,\n", "lookup.csv:2:1:")]                   // non-integer ImageId
    [InlineData(KaggleHeader + "1,,nose_tip_x,\n", "lookup.csv:2:1:")]
    [InlineData(KaggleHeader + "1,1,nose_tip_z,\n", "lookup.csv:2:3: FeatureName")]         // unknown feature, its column
    [InlineData(KaggleHeader + "\n1,1,left_eye_center,\n", "lookup.csv:3:3: FeatureName")]  // a name without _x/_y; blank line counted
    [InlineData(KaggleHeader + "1,1,,\n", "lookup.csv:2:3: FeatureName")]
    [InlineData("RowId,ImageId,FeatureName\n1,1\n", "lookup.csv:2:1:")]                   // no Location column, and a short line
    public void Bad_lines_name_the_file_and_line(string text, string prefix)
    {
        using var dir = new TempDir();
        var path = Write(dir, text);
        var e = Assert.Throws<InvalidDataException>(() => LookupTable.Read(path));
        Assert.StartsWith(prefix, e.Message);
    }

    [Theory]
    [InlineData(new long[0])]
    [InlineData(new long[] { 7 })]
    [InlineData(new long[] { 5, 2 })]
    [InlineData(new long[] { 30, 1, 12 })]
    public void Every_lists_all_features_of_each_image_in_id_then_column_order(long[] ids)
    {
        var rows = LookupTable.Every(ids);
        var sorted = ids.Order().ToArray();
        Assert.Equal(30 * ids.Length, rows.Length);
        Assert.Equal(Enumerable.Range(1, rows.Length), rows.Select(r => r.RowId));
        for (var i = 0; i < sorted.Length; i++)
        {
            var mine = rows.Skip(30 * i).Take(30).ToArray();
            Assert.All(mine, r => Assert.Equal(sorted[i], r.ImageId));
            Assert.Equal(Keypoints.Columns, mine.Select(r => r.Feature));
        }
    }

    [Fact]
    public void Every_starts_the_second_image_at_row_31()
    {
        var rows = LookupTable.Every([5, 2]);
        Assert.Equal(new LookupRow(1, 2, "left_eye_center_x"), rows[0]);
        Assert.Equal(new LookupRow(30, 2, "mouth_center_bottom_lip_y"), rows[29]);
        Assert.Equal(new LookupRow(31, 5, "left_eye_center_x"), rows[30]);
    }
}
