using CsCheck;
using Fkd.Stages.Faces;
using Fkd.Stages.Submission;

namespace Fkd.Stages.Tests.Submission;

public sealed class SubmissionRowsTests
{
    /// <summary>A distinct value for every (image, feature) with image &lt; 1000, inside [0, 96]: 3·feature + image/1000.</summary>
    private static float Value(long image, int feature) => feature * 3 + image / 1000f;

    private static Dictionary<long, float[]> Predictions(IEnumerable<long> images) =>
        images.Distinct().ToDictionary(i => i, i => Enumerable.Range(0, Keypoints.CoordCount).Select(f => Value(i, f)).ToArray());

    [Fact]
    public void Each_row_gets_its_own_images_value_of_its_own_feature()
    {
        var preds = Predictions([3, 17, 940]);
        // Kaggle asks some features per image, rows not grouped by image, RowIds not in order.
        LookupRow[] requests =
        [
            new(5, 17, "nose_tip_x"), new(1, 3, "left_eye_center_x"), new(9, 940, "mouth_center_bottom_lip_y"),
            new(2, 3, "left_eye_center_y"), new(7, 17, "nose_tip_y"), new(3, 940, "left_eye_center_x"),
            new(4, 3, "mouth_center_bottom_lip_y"), new(8, 17, "right_eye_center_x"),
        ];

        var (rows, clipped) = SubmissionRows.Map(requests, preds);

        Assert.Equal(0, clipped);
        Assert.Equal(requests.Select(r => r.RowId), rows.Select(r => r.RowId));
        Assert.Equal(60.017f, rows[0].Location, 1e-4f);  // image 17's nose_tip_x (column 20)
        Assert.Equal(87.94f, rows[2].Location, 1e-4f);   // image 940's mouth_center_bottom_lip_y (column 29)
        for (var i = 0; i < requests.Length; i++)
            Assert.Equal(Value(requests[i].ImageId, Keypoints.Columns.IndexOf(requests[i].Feature)), rows[i].Location);
    }

    [Fact]
    public void Any_lookup_table_maps_every_row_to_its_own_image_and_feature() =>
        Gen.Select(Gen.Long[0, 999].Array[1, 8], Gen.Select(Gen.Int[0, 7], Gen.Int[0, 29], Gen.Int[1, 100_000]).Array[0, 80])
            .Sample((images, picks) =>
            {
                var preds = Predictions(images);
                var requests = picks.Select(p => new LookupRow(p.Item3, images[p.Item1 % images.Length], Keypoints.Columns[p.Item2])).ToArray();
                var (rows, clipped) = SubmissionRows.Map(requests, preds);
                return clipped == 0 && rows.Length == requests.Length
                    && requests.Zip(rows, (q, r) => r.RowId == q.RowId && r.Location == Value(q.ImageId, Keypoints.Columns.IndexOf(q.Feature))).All(ok => ok);
            });

    [Theory]
    [InlineData(50f, 50f, 0)]
    [InlineData(0f, 0f, 0)]
    [InlineData(96f, 96f, 0)]
    [InlineData(-3f, 0f, 1)]
    [InlineData(-0.01f, 0f, 1)]
    [InlineData(96.5f, 96f, 1)]
    [InlineData(float.PositiveInfinity, 96f, 1)]
    [InlineData(float.NegativeInfinity, 0f, 1)]
    public void Locations_are_clipped_to_the_image_and_counted(float predicted, float expected, int clipped)
    {
        var p = Predictions([1]);
        p[1][20] = predicted;
        var (rows, n) = SubmissionRows.Map([new(1, 1, "nose_tip_x"), new(2, 1, "nose_tip_y")], p);
        Assert.Equal(expected, rows[0].Location);
        Assert.Equal(Value(1, 21), rows[1].Location);
        Assert.Equal(clipped, n);
    }

    [Fact]
    public void Clipped_rows_are_counted_over_the_whole_table()
    {
        var p = Predictions([1, 2]);
        (p[1][0], p[2][0], p[2][1]) = (-1, 100, 120);
        var (_, n) = SubmissionRows.Map([new(1, 1, "left_eye_center_x"), new(2, 2, "left_eye_center_x"), new(3, 2, "left_eye_center_y"), new(4, 2, "nose_tip_x")], p);
        Assert.Equal(3, n);
    }

    [Theory]
    [InlineData(99, "left_eye_center_x", "lookup row 7: no prediction for ImageId 99")]
    [InlineData(1, "nose_tip_y", "lookup row 7: the model gives no nose_tip_y for ImageId 1")]
    public void A_row_without_a_value_is_an_error_naming_it(long image, string feature, string message)
    {
        var p = Predictions([1, 2]);
        p[1][21] = float.NaN; // nose_tip_y of image 1
        LookupRow[] requests = [new(3, 2, "nose_tip_y"), new(5, 1, "nose_tip_x"), new(7, image, feature)];
        var e = Assert.Throws<InvalidDataException>(() => SubmissionRows.Map(requests, p));
        Assert.Equal(message, e.Message);
    }
}
