using Fkd.Stages.Faces;
using Fkd.Stages.Combine;

namespace Fkd.Stages.Tests.Combine;

public sealed class CombineStageTests
{
    // Subset keypoints 0, 1, 10, 14 -> coordinates 0..3, 20, 21, 28, 29.
    private static readonly int[] Subset = [0, 1, 2, 3, 20, 21, 28, 29];

    /// <summary>A row whose 30 coordinates are all <paramref name="value"/>; the "four" model's rows
    /// have values only at the subset coordinates (NaN elsewhere), as predict writes them.</summary>
    private static Prediction Row(long id, float value, bool fourOnly = false, string? hash = null)
    {
        var c = Face.MissingCoords();
        for (var i = 0; i < c.Length; i++)
            if (!fourOnly || Subset.Contains(i)) c[i] = value;
        return new Prediction(id, hash ?? $"h{id}", c);
    }

    public static TheoryData<FourKeypointsFrom, float, float, float> Cases => new()
    {
        // mode, full value, four value, expected value at the subset coordinates
        { FourKeypointsFrom.FromFour, 10f, 20f, 20f },
        { FourKeypointsFrom.Average, 10f, 20f, 15f },
        { FourKeypointsFrom.FromFull, 10f, 20f, 10f },
        { FourKeypointsFrom.FromFour, 10f, float.NaN, 10f },    // the four model gave nothing: keep full
        { FourKeypointsFrom.Average, float.NaN, 20f, 20f },      // average only what is there
        { FourKeypointsFrom.FromFull, float.NaN, 20f, 20f },
        { FourKeypointsFrom.Average, float.NaN, float.NaN, float.NaN },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Subset_keypoints_follow_the_mode_and_the_rest_come_from_full(FourKeypointsFrom mode, float full, float four, float expected)
    {
        var fullRow = Row(1, 5f);
        foreach (var c in Subset) fullRow.Coords[c] = full;
        var fourRow = Row(1, four, fourOnly: true);

        var result = Assert.Single(CombineStage.Combine([fullRow], [fourRow], mode));

        Assert.Equal(1, result.Id);
        Assert.Equal("h1", result.Hash);
        for (var c = 0; c < Keypoints.CoordCount; c++)
            Assert.Equal(Subset.Contains(c) ? expected : 5f, result.Coords[c]);
    }

    [Fact]
    public void Keeps_the_order_of_full_whatever_the_order_of_four()
    {
        var result = CombineStage.Combine([Row(3, 1), Row(1, 1), Row(2, 1)], [Row(1, 2, true), Row(2, 2, true), Row(3, 2, true)], FourKeypointsFrom.FromFour);
        Assert.Equal([3L, 1L, 2L], result.Select(r => r.Id));
        Assert.All(result, r => Assert.Equal(2f, r.Coords[0]));
    }

    [Fact]
    public void Does_not_change_its_inputs()
    {
        var full = Row(1, 1);
        CombineStage.Combine([full], [Row(1, 2, true)], FourKeypointsFrom.FromFour);
        Assert.All(full.Coords, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Different_ids_are_an_error_that_lists_them()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            CombineStage.Combine([Row(1, 1), Row(2, 1), Row(3, 1)], [Row(1, 1, true), Row(4, 1, true)], FourKeypointsFrom.FromFour));
        Assert.Contains("missing from four: 2, 3", e.Message);
        Assert.Contains("missing from full: 4", e.Message);
    }

    [Fact]
    public void Repeated_ids_other_images_and_unknown_modes_are_errors()
    {
        Assert.Throws<InvalidDataException>(() => CombineStage.Combine([Row(1, 1), Row(1, 1)], [Row(1, 1, true)], FourKeypointsFrom.Average));
        Assert.Throws<InvalidDataException>(() => CombineStage.Combine([Row(1, 1)], [Row(1, 1, true, hash: "other")], FourKeypointsFrom.Average));
    }
}
