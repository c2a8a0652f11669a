using System.Collections.Immutable;
using Fkd.Stages.Dedup;
using Fkd.Stages.Faces;

namespace Fkd.Stages.Tests.Dedup;

public sealed class DuplicatesTests
{
    /// <summary>A row with all coordinates missing except the given ones; line = id + 1 so id and line differ.</summary>
    private static FaceRow Row(long id, string hash, params (int Coord, float Value)[] coords)
    {
        var c = Face.MissingCoords();
        foreach (var (i, v) in coords) c[i] = v;
        return new FaceRow(id, (int)id + 1, hash, new byte[Keypoints.PixelCount], c, FaceRow.NoTags);
    }

    private static void Close(float expected, float actual)
    {
        if (float.IsNaN(expected)) Assert.True(float.IsNaN(actual), $"expected NaN, got {actual}");
        else Assert.Equal(expected, actual, 4f);
    }

    public static TheoryData<float[], float> MeanCases => new()
    {
        // coordinate 5 of each row of one group -> the merged coordinate 5
        { [10f, 20f], 15f },
        { [1f, 2f, 4f], 7f / 3 },
        { [10f, float.NaN, 40f], 25f },     // missing values do not count
        { [float.NaN, 7f], 7f },
        { [float.NaN, float.NaN], float.NaN },
        { [-2f, 2f, 0f, 96f], 24f },
    };

    [Theory]
    [MemberData(nameof(MeanCases))]
    public void A_group_gets_the_per_coordinate_mean_of_its_present_values(float[] values, float expected)
    {
        // Coordinate 29 is present in every row (value = id), the rest missing everywhere.
        var rows = values.Select((v, i) => Row(i + 1, "same", (5, v), (29, i + 1))).ToList();

        var (merged, groups) = Duplicates.Merge(rows);

        var r = Assert.Single(merged);
        Close(expected, r.Coords[5]);
        Close((values.Length + 1) / 2f, r.Coords[29]);
        for (var c = 0; c < Keypoints.CoordCount; c++)
            if (c is not 5 and not 29) Assert.True(float.IsNaN(r.Coords[c]), $"coordinate {c} should stay missing");
        Assert.Equal(values.Length, r.Tags["group_size"]);
        var g = Assert.Single(groups);
        Assert.Equal("same", g.Hash);
        Assert.Equal(Enumerable.Range(1, values.Length).Select(i => (long)i), g.Ids);
    }

    [Fact]
    public void Keeps_the_first_rows_id_line_and_tags_in_order_of_first_appearance()
    {
        var first = Row(10, "b", (0, 1)).Tag("source", 7);
        FaceRow[] rows = [first, Row(20, "a", (0, 2)), Row(30, "b", (0, 3)), Row(40, "c", (0, 4)), Row(50, "a", (0, 4)), Row(60, "a", (0, 6))];

        var (merged, groups) = Duplicates.Merge(rows);

        Assert.Equal(["b", "a", "c"], merged.Select(r => r.Hash));
        Assert.Equal([10L, 20L, 40L], merged.Select(r => r.Id));
        Assert.Equal([11, 21, 41], merged.Select(r => r.Line));
        Assert.Equal([2L, 3L, 1L], merged.Select(r => r.Tags["group_size"]));
        Assert.Equal([2f, 4f, 4f], merged.Select(r => r.Coords[0]));
        Assert.Equal(7, merged[0].Tags["source"]);
        // Only real duplicates are listed, in the same order, with every member's id.
        Assert.Equal(["b", "a"], groups.Select(g => g.Hash));
        Assert.Equal([10L, 30L], groups[0].Ids.AsEnumerable());
        Assert.Equal([20L, 50L, 60L], groups[1].Ids.AsEnumerable());
        // The input rows are left as they were.
        Assert.Equal(1f, first.Coords[0]);
        Assert.False(first.Tags.ContainsKey("group_size"));
    }

    [Fact]
    public void Rows_without_duplicates_pass_through_with_group_size_one()
    {
        FaceRow[] rows = [Row(1, "x", (3, 8)), Row(2, "y")];
        var (merged, groups) = Duplicates.Merge(rows);
        Assert.Empty(groups);
        Assert.Equal([1L, 2L], merged.Select(r => r.Id));
        Assert.All(merged, r => Assert.Equal(1, r.Tags["group_size"]));
        Assert.Equal(8f, merged[0].Coords[3]);
        Assert.Empty(Duplicates.Merge([]).Rows);
    }
}

public sealed class DuplicateGroupsTests
{
    [Fact]
    public void Groups_survive_a_write_and_read()
    {
        ImmutableArray<DuplicateGroup> groups =
        [
            new("0123456789abcdef0123456789abcdef", [3, 17]),
            new("ffffffffffffffffffffffffffffffff", [0, 5_000_000_000, 2, 9]),
            new("abc", [42]),
        ];
        using var dir = new TempDir();
        var path = dir.File("groups.csv");
        var csv = DuplicateGroups.ToCsv(groups);
        File.WriteAllText(path, csv);

        var back = DuplicateGroups.Read(path);

        Assert.StartsWith("image_hash,size,ids\n0123456789abcdef0123456789abcdef,2,3 17\n", csv);
        Assert.Equal(groups.Select(g => g.Hash), back.Select(g => g.Hash));
        for (var i = 0; i < groups.Length; i++) Assert.Equal(groups[i].Ids, back[i].Ids.AsEnumerable()); // as sequences: ImmutableArray equality is by reference
    }

    [Theory]
    [InlineData("", "groups.csv:1:1:")]
    [InlineData("hash,size,ids\nabc,1,1\n", "groups.csv:1:1:")]
    [InlineData("image_hash,size,ids\nabc,2\n", "groups.csv:2:1:")]
    [InlineData("image_hash,size,ids\nabc,1,1\n\nabc,2,1 2,9\n", "groups.csv:4:1:")]  // the blank line still counts
    [InlineData("image_hash,size,ids\nabc,2,1 x\n", "groups.csv:2:7:")]                 // column of the ids field
    [InlineData("image_hash,size,ids\nab,12,5 1.5\n", "groups.csv:2:7:")]
    public void A_bad_file_names_the_file_line_and_column(string text, string prefix)
    {
        using var dir = new TempDir();
        var path = dir.File("groups.csv");
        File.WriteAllText(path, text);
        var e = Assert.Throws<InvalidDataException>(() => DuplicateGroups.Read(path));
        Assert.StartsWith(prefix, e.Message);
    }
}
