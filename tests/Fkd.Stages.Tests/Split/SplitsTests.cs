using Fkd.Stages.Faces;
using Fkd.Stages.Split;

namespace Fkd.Stages.Tests.Split;

public sealed class SplitsTests
{
    /// <summary>A row whose first <paramref name="labelled"/> keypoints are labelled.</summary>
    private static FaceRow Row(long id, int labelled = Keypoints.Count)
    {
        var c = Face.MissingCoords();
        for (var k = 0; k < labelled; k++) (c[2 * k], c[2 * k + 1]) = (40, 50);
        return new FaceRow(id, (int)id, $"h{id}", new byte[Keypoints.PixelCount], c, FaceRow.NoTags);
    }

    private static string PersonOf(FaceRow r) => $"p{r.Id / 4}"; // 4 rows per person

    /// <summary>id → (in val, fold) of every row.</summary>
    private static Dictionary<long, (bool Val, long Fold)> Sides(IEnumerable<FaceRow> rows, Func<FaceRow, string> groupOf, double valFraction, int folds, int seed)
    {
        var (train, val) = Splits.Assign(rows, groupOf, valFraction, folds, seed);
        return train.Select(r => (r, false)).Concat(val.Select(r => (r, true))).ToDictionary(x => x.r.Id, x => (x.Item2, x.r.Tags["fold"]));
    }

    [Theory]
    [InlineData(0.2, 5, 1)]
    [InlineData(0.5, 3, 7)]
    [InlineData(0.1, 10, 42)]
    public void Rows_of_one_person_share_a_side_and_a_fold(double valFraction, int folds, int seed)
    {
        // 150 people, their rows interleaved so that neighbours in the input belong to different people.
        var rows = Enumerable.Range(0, 600).Select(i => Row(i % 150 * 4 + i / 150)).ToList();
        var sides = Sides(rows, PersonOf, valFraction, folds, seed);

        Assert.Equal(600, sides.Count);
        foreach (var person in sides.GroupBy(s => s.Key / 4))
            Assert.Single(person.Select(s => s.Value).Distinct());
        Assert.All(sides.Values, s => Assert.InRange(s.Fold, 0, folds - 1));
        // Both sides and several folds are used at all (the assignment is not constant).
        Assert.Contains(sides.Values, s => s.Val);
        Assert.Contains(sides.Values, s => !s.Val);
        Assert.True(sides.Values.Select(s => s.Fold).Distinct().Count() > 1);
    }

    [Fact]
    public void Adding_rows_and_people_never_moves_existing_rows()
    {
        var before = Sides(Enumerable.Range(0, 200).Select(i => Row(i)), PersonOf, 0.25, 5, 3);
        // New rows of existing people and of new people, placed before the old ones.
        var more = Enumerable.Range(200, 400).Select(i => Row(i)).Concat(Enumerable.Range(0, 200).Select(i => Row(i)))
            .Concat(Enumerable.Range(0, 50).Select(i => Row(1000 + i)));
        Func<FaceRow, string> groupOf = r => r.Id >= 1000 ? $"p{r.Id - 1000}" : PersonOf(r); // 1000+i joins person i
        var after = Sides(more, groupOf, 0.25, 5, 3);

        foreach (var (id, side) in before) Assert.Equal(side, after[id]);
        for (var i = 0; i < 50; i++) Assert.Equal(before[i * 4], after[1000 + i]);
    }

    [Fact]
    public void The_split_keeps_the_input_order_on_each_side()
    {
        var rows = Enumerable.Range(0, 300).Select(i => Row(299 - i)).ToList();
        var (train, val) = Splits.Assign(rows, PersonOf, 0.3, 5, 9);
        Assert.Equal(train.Select(r => r.Id).OrderDescending(), train.Select(r => r.Id));
        Assert.Equal(val.Select(r => r.Id).OrderDescending(), val.Select(r => r.Id));
    }

    [Fact]
    public void The_same_seed_repeats_the_split_and_another_seed_changes_it()
    {
        var rows = Enumerable.Range(0, 800).Select(i => Row(i)).ToList();
        var a = Sides(rows, PersonOf, 0.3, 5, 1);
        var again = Sides(rows, PersonOf, 0.3, 5, 1);
        var b = Sides(rows, PersonOf, 0.3, 5, 2);

        Assert.All(a, s => Assert.Equal(s.Value, again[s.Key]));
        var sideMoves = a.Count(s => s.Value.Val != b[s.Key].Val) / 4;
        var foldMoves = a.Count(s => s.Value.Fold != b[s.Key].Fold) / 4;
        // Independent splits of 200 people: ~42% change side, ~80% change fold.
        Assert.InRange(sideMoves, 40, 130);
        Assert.InRange(foldMoves, 120, 200);
    }

    [Theory]
    [InlineData(0.0, 5)]
    [InlineData(0.1, 5)]
    [InlineData(0.25, 4)]
    [InlineData(0.5, 10)]
    [InlineData(1.0, 3)]
    public void The_val_share_of_people_is_about_val_fraction_and_folds_are_about_even(double valFraction, int folds)
    {
        const int people = 3000;
        var sides = Sides(Enumerable.Range(0, people).Select(i => Row(i)), r => $"person-{r.Id}", valFraction, folds, 11);

        var valShare = sides.Values.Count(s => s.Val) / (double)people;
        Assert.InRange(valShare, valFraction - 0.04, valFraction + 0.04); // binomial sd ≤ 0.009
        foreach (var fold in Enumerable.Range(0, folds))
            Assert.InRange(sides.Values.Count(s => s.Fold == fold), 0.8 * people / folds, 1.2 * people / folds);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(15)]
    public void Labelled_counts_keypoints_and_other_tags_are_kept(int labelled)
    {
        var row = Row(1, labelled).Tag("group_size", 3);
        var (train, val) = Splits.Assign([row], _ => "p", 0.5, 5, 0);
        var r = Assert.Single(train.Concat(val));
        Assert.Equal(labelled, r.Tags["labelled"]);
        Assert.Equal(3, r.Tags["group_size"]);
        Assert.True(r.Tags.ContainsKey("fold"));
    }
}

public sealed class GroupsFileTests
{
    private static string Write(TempDir dir, string text)
    {
        var path = dir.File("g.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("person", new[] { "p1", "p2", "p1" })]
    [InlineData("source", new[] { "a", "b", "c" })]
    public void Maps_each_row_to_the_named_column(string column, string[] expected)
    {
        using var dir = new TempDir();
        var map = GroupsFile.Read(Write(dir, "\uFEFFrow,source,person\n0,a,p1\n1,b,p2\n\n5,c,p1\n"), column);
        Assert.Equal(new long[] { 0, 1, 5 }, map.Keys.Order());
        Assert.Equal(expected, new long[] { 0, 1, 5 }.Select(k => map[k]));
    }

    [Theory]
    [InlineData("", "person", "g.csv:1:1: header", "'person'")]
    [InlineData("id,person\n0,p\n", "person", "g.csv:1:1: header", "found id,person")]
    [InlineData("row,person\n0,p\n", "group", "g.csv:1:1: header", "'group'")]
    [InlineData("row,person\n0,p\nx,q\n", "person", "g.csv:3:1:", "integer row")]
    [InlineData("row,person\n1.5,q\n", "person", "g.csv:2:1:", "integer row")]
    [InlineData("row,person\n0,p\n1,q\n0,r\n", "person", "g.csv:4:1: row", "row 0 again")]
    [InlineData("row,person\n0,p,extra\n", "person", "g.csv:2:1:", "2 fields")]
    [InlineData("row,person\n0\n", "person", "g.csv:2:1:", "2 fields")]
    [InlineData("row,person\n0,p\n   \n1,q\n", "person", "g.csv:3:1:", "2 fields")] // a whitespace line is not skipped
    public void Bad_files_name_the_file_and_line(string text, string column, string prefix, string detail)
    {
        using var dir = new TempDir();
        var path = Write(dir, text);
        var e = Assert.Throws<InvalidDataException>(() => GroupsFile.Read(path, column));
        Assert.StartsWith(prefix, e.Message);
        Assert.Contains(detail, e.Message);
    }
}
