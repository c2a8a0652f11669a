using System.Collections.Immutable;
using Fkd.Stages.Faces;
using Fkd.Stages.Predict;

namespace Fkd.Stages.Tests.Predict;

public sealed class PredictCoreTests
{
    /// <summary>Rows 1 and 2; row 2 gets 10·model + c at coordinate c, row 1 gets <paramref name="first"/> at coordinate 4 and NaN elsewhere.</summary>
    private static ImmutableArray<Prediction> Model(int model, float first) =>
    [
        new(1, "h1", [.. Enumerable.Range(0, Keypoints.CoordCount).Select(c => c == 4 ? first : float.NaN)]),
        new(2, "h2", [.. Enumerable.Range(0, Keypoints.CoordCount).Select(c => 10f * model + c)]),
    ];

    public static TheoryData<float[], float> Cases => new()
    {
        // each model's value at one coordinate -> the average
        { [10f, 14f], 12f },
        { [1f, 2f, 6f], 3f },
        { [10f, float.NaN], 10f },          // only the models that give a value
        { [float.NaN, 4f, 8f], 6f },
        { [float.NaN, float.NaN], float.NaN },
        { [float.NaN, float.NaN, 5f], 5f },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Averages_per_coordinate_over_the_models_that_give_a_value(float[] values, float expected)
    {
        var each = values.Select((v, m) => Model(m, v)).ToList();
        var inputs = each.Select(m => m.Select(p => (float[])p.Coords.Clone()).ToArray()).ToList();

        var mean = PredictStage.Average(each);

        Assert.Equal([1L, 2L], mean.Select(p => p.Id));
        Assert.Equal(["h1", "h2"], mean.Select(p => p.Hash));
        Assert.Equal(expected, mean[0].Coords[4]);
        for (var c = 0; c < Keypoints.CoordCount; c++)
        {
            if (c != 4) Assert.True(float.IsNaN(mean[0].Coords[c]), $"coordinate {c}: no model gave one");
            Assert.Equal(10f * (values.Length - 1) / 2 + c, mean[1].Coords[c], 1e-4f); // mean of 10·m + c over m
        }
        for (var m = 0; m < each.Count; m++) // the inputs are not changed
            for (var i = 0; i < 2; i++) Assert.Equal(inputs[m][i], each[m][i].Coords);
    }

    [Fact]
    public void One_model_is_returned_as_it_is()
    {
        var only = Model(3, float.NaN);
        Assert.True(only == PredictStage.Average([only]));
        Assert.Throws<ArgumentException>(() => PredictStage.Average([]));
    }

    public static TheoryData<string> Mismatches => new() { "fewer rows", "more rows", "other order", "other id" };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void Models_that_predicted_other_rows_are_an_error(string how)
    {
        var a = Model(0, 1);
        var b = Model(1, 2);
        ImmutableArray<Prediction> other = how switch
        {
            "fewer rows" => [b[0]],
            "more rows" => [.. b, b[1] with { Id = 3 }],
            "other order" => [b[1], b[0]],
            _ => [b[0], b[1] with { Id = 9 }],
        };
        Assert.Throws<InvalidDataException>(() => PredictStage.Average([a, other]));
        Assert.Throws<InvalidDataException>(() => PredictStage.Average([a, b, other]));
    }

    private static FaceRow Row(long id, long? fold) =>
        new(id, (int)id, $"h{id}", new byte[Keypoints.PixelCount], Face.MissingCoords(),
            fold is { } f ? FaceRow.NoTags.Add("fold", f) : FaceRow.NoTags);

    // Folds of rows 0..6; row 6 has no fold tag.
    private static readonly FaceRow[] Rows = [Row(0, 0), Row(1, 1), Row(2, 2), Row(3, 0), Row(4, 1), Row(5, 0), Row(6, null)];

    [Theory]
    [InlineData(-1, new long[] { 0, 1, 2, 3, 4, 5, 6 })]
    [InlineData(-7, new long[] { 0, 1, 2, 3, 4, 5, 6 })]
    [InlineData(0, new long[] { 0, 3, 5 })]
    [InlineData(1, new long[] { 1, 4 })]
    [InlineData(2, new long[] { 2 })]
    public void Only_fold_picks_the_rows_of_that_fold_in_order(int fold, long[] expected) =>
        Assert.Equal(expected, PredictStage.OnlyFold(Rows, fold).Select(r => r.Id));

    [Theory]
    [InlineData(3)]
    [InlineData(100)]
    public void Only_fold_without_a_row_of_that_fold_is_an_error(int fold)
    {
        var e = Assert.Throws<InvalidDataException>(() => PredictStage.OnlyFold(Rows, fold));
        Assert.Contains($"fold tag {fold}", e.Message);
    }

    [Fact]
    public void Rows_without_fold_tags_match_no_fold() =>
        Assert.Throws<InvalidDataException>(() => PredictStage.OnlyFold([Row(1, null), Row(2, null)], 0));
}
