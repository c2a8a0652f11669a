using Fkd.Stages.Faces;
using Fkd.Stages.LabelFix;
using Fkd.Stages.Outliers;
using Fkd.Stages.Source;

namespace Fkd.Stages.Tests.Outliers;

public class OutlierTests
{
    // A plausible frontal face (Kaggle order; subject's left = larger x).
    private static readonly float[] Base =
    [
        66, 38,  30, 38,   // eye centres
        60, 39,  73, 39,   // left eye inner, outer
        36, 39,  23, 39,   // right eye inner, outer
        57, 29,  79, 30,   // left brow inner, outer
        39, 29,  17, 30,   // right brow inner, outer
        48, 58,            // nose tip
        63, 75,  33, 75,   // mouth left, right corners
        48, 72,  48, 80,   // top lip, bottom lip
    ];

    /// <summary>200 plausible faces: Base scaled, rotated, shifted and jittered, deterministically.</summary>
    private static List<float[]> Population()
    {
        var rng = new Random(5);
        var res = new List<float[]>();
        for (var i = 0; i < 200; i++)
        {
            var s = 0.85 + 0.3 * rng.NextDouble();
            var th = (rng.NextDouble() - 0.5) * 0.3;
            var (tx, ty) = ((rng.NextDouble() - 0.5) * 8, (rng.NextDouble() - 0.5) * 8);
            var c = new float[30];
            for (var k = 0; k < 15; k++)
            {
                var (x, y) = (Base[2 * k] - 48.0, Base[2 * k + 1] - 50.0);
                c[2 * k] = (float)(48 + tx + s * (Math.Cos(th) * x - Math.Sin(th) * y) + (rng.NextDouble() - 0.5) * 2);
                c[2 * k + 1] = (float)(50 + ty + s * (Math.Sin(th) * x + Math.Cos(th) * y) + (rng.NextDouble() - 0.5) * 2);
            }
            res.Add(c);
        }
        return res;
    }

    private static float[] Edit(Action<float[]> edit) { var c = (float[])Base.Clone(); edit(c); return c; }

    public static TheoryData<string, float[], string?> Cases => new()
    {
        { "correct face", (float[])Base.Clone(), null },
        { "eyes swapped", Edit(c => { (c[0], c[2]) = (c[2], c[0]); }), OutlierScoring.EyesSwapped },
        { "nose tip moved +20 px in x", Edit(c => c[20] += 20), OutlierScoring.Shape },
        { "left eye outer corner moved +20 px in y", Edit(c => c[7] += 20), OutlierScoring.Shape },
        { "mouth above nose", Edit(c => { for (var k = 11; k <= 14; k++) c[2 * k + 1] -= 30; }), OutlierScoring.MouthAboveNose },
        { "nose above eyes", Edit(c => c[21] = 25), OutlierScoring.NoseAboveEyes },
        { "right eye centre moved 28 px outwards", Edit(c => c[2] -= 28), OutlierScoring.EyeDistance },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_row_among_plausible_faces_is_flagged_with_the_right_reason(string name, float[] row, string? expected)
    {
        var rows = Population();
        rows.Add(row);
        var checks = OutlierScoring.Score(rows, new OutlierParams());
        var mine = checks[^1];
        if (expected is null)
        {
            Assert.False(mine.Flagged, $"{name}: flagged ({mine.Reasons})");
            Assert.True(mine.Score < 4, $"{name}: score {mine.Score:F1}");
        }
        else
        {
            Assert.True(mine.Flagged, $"{name}: not flagged (score {mine.Score:F1})");
            Assert.Contains(expected, mine.Codes);
            Assert.Contains(expected, mine.Reasons);
            Assert.True(mine.Score > 8, $"{name}: score {mine.Score:F1}");
        }
        // The plausible population itself stays unflagged.
        Assert.Equal(0, checks.Take(rows.Count - 1).Count(c => c.Flagged));
    }

    [Fact]
    public void Moved_keypoint_is_named_and_its_residual_is_near_the_move()
    {
        var rows = Population();
        rows.Add(Edit(c => c[20] += 20));
        var mine = OutlierScoring.Score(rows, new OutlierParams())[^1];
        Assert.Equal(10, mine.ShapeKeypoint);
        Assert.InRange(mine.ShapeResidualPx, 15, 21);
    }

    [Fact]
    public void Four_keypoint_rows_are_scored_on_what_they_have()
    {
        var rows = Population();
        var four = Face.MissingCoords();
        foreach (var k in Keypoints.FourKeypointSubset) { four[2 * k] = Base[2 * k]; four[2 * k + 1] = Base[2 * k + 1]; }
        rows.Add(four);
        var swapped = (float[])four.Clone();
        (swapped[0], swapped[2]) = (swapped[2], swapped[0]);
        rows.Add(swapped);
        var checks = OutlierScoring.Score(rows, new OutlierParams());
        Assert.False(checks[^2].Flagged, checks[^2].Reasons);
        Assert.Equal(4, checks[^2].Points);
        Assert.Contains(OutlierScoring.EyesSwapped, checks[^1].Codes);
    }

    [Fact]
    public void Similarity_fit_recovers_a_known_transform()
    {
        var from = Base.Select(v => (double)v).ToArray();
        var (a, b) = (1.2 * Math.Cos(0.2), 1.2 * Math.Sin(0.2));
        var to = new float[30];
        for (var k = 0; k < 15; k++)
        {
            to[2 * k] = (float)(a * from[2 * k] - b * from[2 * k + 1] + 3);
            to[2 * k + 1] = (float)(b * from[2 * k] + a * from[2 * k + 1] - 7);
        }
        var fit = OutlierScoring.FitSimilarity(from, to);
        Assert.Equal(a, fit.A, 3);
        Assert.Equal(b, fit.B, 3);
        Assert.Equal(3, fit.Tx, 2);
        Assert.Equal(-7, fit.Ty, 2);
    }

    [Fact]
    public void Drop_csv_lists_flagged_rows_in_label_fix_format()
    {
        var rows = Population();
        rows.Add(Edit(c => { (c[0], c[2]) = (c[2], c[0]); }));
        var checks = OutlierScoring.Score(rows, new OutlierParams());
        var review = checks.Select((c, i) => new ReviewRow(i, i.ToString("x32"), c)).ToArray();
        var csv = ReviewTable.DropCsv(review);
        var path = Path.Combine(Path.GetTempPath(), "fkd-review-" + Guid.NewGuid().ToString("N")[..8] + ".csv");
        File.WriteAllText(path, csv);
        try
        {
            var drops = FixFiles.ReadDrops(path);
            var d = Assert.Single(drops);
            Assert.Equal(200L.ToString("x32"), d.Target.Hash);
            Assert.Contains(OutlierScoring.EyesSwapped, d.Reason);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Most_planted_wrong_labels_are_flagged_with_few_false_flags()
    {
        var d = SyntheticFaces.Generate(new SyntheticOptions(TrainRows: 2000, TestRows: 10, Seed: 42, WrongLabels: 40));
        var checks = OutlierScoring.Score(d.Train.Select(f => f.Coords).ToArray(), new OutlierParams());
        var wrong = d.Planted.WrongLabelRows.ToHashSet();
        var flagged = Enumerable.Range(0, checks.Length).Where(i => checks[i].Flagged).ToHashSet();
        var caught = wrong.Count(flagged.Contains);
        var falseFlags = flagged.Count(i => !wrong.Contains(i));
        Assert.True(caught >= 0.8 * wrong.Count, $"caught {caught} of {wrong.Count} planted wrong-label rows");
        Assert.True(falseFlags <= Math.Max(3, wrong.Count / 4), $"{falseFlags} rows flagged without a planted wrong label (of {flagged.Count} flagged)");
        // And the planted rows rank at the top.
        var top = Enumerable.Range(0, checks.Length).OrderByDescending(i => checks[i].Score).Take(wrong.Count).Count(wrong.Contains);
        Assert.True(top >= 0.8 * wrong.Count, $"only {top} of the top {wrong.Count} scores are planted wrong labels");
    }
}
