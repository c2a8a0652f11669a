using System.Collections.Immutable;
using Fkd.Stages.Faces;
using Fkd.Stages.Stacking;
using Fkd.Stages.Stages;

namespace Fkd.Stages.Tests.Stages;

public sealed class StackTests
{
    private static double Gauss(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    [Fact]
    public void Ridge_recovers_known_coefficients()
    {
        var r = new Random(3);
        double[] beta = [1.5, -3, 0.5, 0];
        var x = Enumerable.Range(0, 400).Select(_ => new[] { r.NextDouble() * 10, r.NextDouble() * 2 - 1, 40 + Gauss(r), Gauss(r) }).ToList();
        var y = x.Select(row => 2 + row.Zip(beta, (a, b) => a * b).Sum() + 0.01 * Gauss(r)).ToList();
        var fit = Ridge.Fit(x, y, alpha: 1e-6);
        var (b, b0) = fit.InOriginalUnits();
        for (var j = 0; j < beta.Length; j++) Assert.Equal(beta[j], b[j], 2);
        Assert.Equal(2, b0, 1);
        Assert.Equal(2 + 1.5 * 4 - 3 * 0.5 + 0.5 * 40, fit.Predict([4, 0.5, 40, 0]), 1);
    }

    [Fact]
    public void A_large_alpha_shrinks_towards_the_mean_and_a_constant_feature_gets_no_weight()
    {
        var r = new Random(5);
        var x = Enumerable.Range(0, 100).Select(_ => new[] { r.NextDouble(), 7.0 }).ToList();
        var y = x.Select(row => 3 * row[0]).ToList();
        var small = Ridge.Fit(x, y, 1e-3);
        var huge = Ridge.Fit(x, y, 1e9);
        Assert.True(Math.Abs(huge.Weights[0]) < 1e-4 * Math.Abs(small.Weights[0]));
        Assert.Equal(y.Average(), huge.Predict([0.9, 7]), 3);
        Assert.Equal(0, small.Weights[1]);
    }

    [Fact]
    public void Columns_labelled_on_different_rows_are_fitted_on_their_own_rows()
    {
        var x = Enumerable.Range(0, 50).Select(i => new[] { (double)i }).ToList();
        var a = x.Select(v => 2 * v[0] + 1).ToArray();
        var b = x.Select((v, i) => i % 2 == 0 ? double.NaN : -v[0]).ToArray();
        var none = x.Select(_ => double.NaN).ToArray();
        var fits = Ridge.FitColumns(x, [a, b, none], 1e-8);
        Assert.Equal(50, fits[0]!.Rows);
        Assert.Equal(25, fits[1]!.Rows);
        Assert.Null(fits[2]);
        Assert.Equal(21, fits[0]!.Predict([10]), 4);
        Assert.Equal(-10, fits[1]!.Predict([10]), 4);
    }

    [Fact]
    public void Cholesky_solves_a_small_system()
    {
        double[] a = [4, 2, 2, 3];
        var l = Ridge.Cholesky(a, 2);
        var w = Ridge.Solve(l, 2, [2, 1]);
        Assert.Equal(0.5, w[0], 10);
        Assert.Equal(0, w[1], 10);
    }

    [Theory]
    [InlineData("linear", 1, 30)]
    [InlineData("linear", 3, 90)]
    [InlineData("pairwise", 1, 465)]
    [InlineData("pairwise", 2, 930)]
    public void Feature_counts_grow_linearly_with_models(string features, int models, int expected)
    {
        Assert.Equal(expected, StackFeatures.PerModel(features) * models);
        Assert.Equal(expected, StackFeatures.Names(models, features).Length);
        var row = StackFeatures.Row([.. Enumerable.Range(0, models).Select(_ => Enumerable.Repeat(72f, 30).ToArray())], features);
        Assert.Equal(expected, row.Length);
        Assert.All(row, v => Assert.Equal(features == "pairwise" && Array.IndexOf(row, v) % StackFeatures.PerModel(features) >= 30 ? 0.25 : 0.5, v, 6));
    }

    /// <summary>Truth rows and two models that each see it through independent noise (sd 3 px); some labels missing.</summary>
    private static (List<float[]> Truth, List<IReadOnlyList<float[]>> Models) Noisy(Random r, int n)
    {
        var truth = new List<float[]>();
        var models = new List<IReadOnlyList<float[]>>();
        for (var i = 0; i < n; i++)
        {
            var t = Enumerable.Range(0, 30).Select(_ => (float)(20 + 56 * r.NextDouble())).ToArray();
            models.Add([t.Select(v => v + (float)(3 * Gauss(r))).ToArray(), t.Select(v => v + (float)(3 * Gauss(r))).ToArray()]);
            if (i % 3 == 0) for (var c = 4; c < 30; c++) t[c] = float.NaN;
            truth.Add(t);
        }
        return (truth, models);
    }

    private static double Rmse(IEnumerable<(float[] Pred, float[] Truth)> pairs)
    {
        double s = 0; long n = 0;
        foreach (var (p, t) in pairs)
            for (var c = 0; c < 30; c++)
                if (!float.IsNaN(t[c])) { s += (p[c] - t[c]) * (double)(p[c] - t[c]); n++; }
        return Math.Sqrt(s / n);
    }

    [Theory]
    [InlineData("linear", 1500)]
    [InlineData("pairwise", 6000)] // 930 features, all but 60 of them noise here: more rows to fit them
    public void Stacking_two_noisy_copies_of_the_truth_beats_each_copy(string features, int rows)
    {
        var r = new Random(11);
        var (trainTruth, trainModels) = Noisy(r, rows);
        var (testTruth, testModels) = Noisy(r, 300);
        var stack = StackModel.Fit(trainModels, trainTruth, features, alpha: 1.0);
        var stacked = Rmse(testModels.Select((m, i) => (stack.Predict(m), testTruth[i])));
        var first = Rmse(testModels.Select((m, i) => (m[0], testTruth[i])));
        var second = Rmse(testModels.Select((m, i) => (m[1], testTruth[i])));
        Assert.True(stacked < Math.Min(first, second) * 0.9, $"stack {stacked:F3} vs copies {first:F3}, {second:F3}");
    }

    private static FaceRow Face(long id, long? fold) =>
        new(id, (int)id, $"h{id}", new byte[Keypoints.PixelCount], Faces.Face.MissingCoords(),
            fold is { } f ? FaceRow.NoTags.Add("fold", f) : FaceRow.NoTags);

    [Fact]
    public void Holdout_fold_and_only_fold_pick_complementary_rows()
    {
        ImmutableArray<FaceRow> rows = [.. Enumerable.Range(0, 10).Select(i => Face(i, i % 5))];
        Assert.Equal(10, TrainStage.HoldOut(rows, -1).Count);
        Assert.Equal(10, PredictStage.OnlyFold(rows, -1).Count);
        for (var f = 0; f < 5; f++)
        {
            var train = TrainStage.HoldOut(rows, f).Select(r => r.Id).ToHashSet();
            var oof = PredictStage.OnlyFold(rows, f).Select(r => r.Id).ToHashSet();
            Assert.Equal(8, train.Count);
            Assert.Equal([f, f + 5], oof.Order());
            Assert.Empty(train.Intersect(oof));
        }
        Assert.Throws<InvalidDataException>(() => TrainStage.HoldOut([Face(1, null)], 0));
        Assert.Throws<InvalidDataException>(() => PredictStage.OnlyFold(rows, 7));
    }
}
