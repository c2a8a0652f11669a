namespace Fkd.Stages.Stack;

/// <summary>
/// The meta-regressor's features for one face from several models' 30 predicted coordinates each:
/// <c>linear</c> = the 30 per model (as (x − 48)/48); <c>pairwise</c> adds, per model, the 435
/// products of each pair of its own 30 (no cross-model products, so the count grows linearly with models).
/// </summary>
public static class StackFeatures
{
    public const int Base = Keypoints.CoordCount;
    public const int Pairs = Base * (Base - 1) / 2;

    public static int PerModel(StackFeatureSet features) => features == StackFeatureSet.Pairwise ? Base + Pairs : Base;

    public static ImmutableArray<string> Names(int models, StackFeatureSet features)
    {
        var b = ImmutableArray.CreateBuilder<string>();
        for (var m = 0; m < models; m++)
        {
            foreach (var c in Keypoints.Columns) b.Add($"m{m}:{c}");
            if (features == StackFeatureSet.Pairwise)
                for (var i = 0; i < Base; i++)
                    for (var j = i + 1; j < Base; j++) b.Add($"m{m}:{Keypoints.Columns[i]}*{Keypoints.Columns[j]}");
        }
        return b.ToImmutable();
    }

    /// <summary>One feature row; NaN where a model gives no coordinate (filled by the caller).</summary>
    public static double[] Row(IReadOnlyList<float[]> perModel, StackFeatureSet features)
    {
        var per = PerModel(features);
        var row = new double[perModel.Count * per];
        for (var m = 0; m < perModel.Count; m++)
        {
            var off = m * per;
            for (var c = 0; c < Base; c++) row[off + c] = (perModel[m][c] - 48.0) / 48.0;
            if (features != StackFeatureSet.Pairwise) continue;
            var k = off + Base;
            for (var i = 0; i < Base; i++)
                for (var j = i + 1; j < Base; j++) row[k++] = row[off + i] * row[off + j];
        }
        return row;
    }
}

/// <summary>A fitted stack: one ridge or elastic-net fit per output coordinate (null where no training row was labelled) and the values that fill missing features.</summary>
public sealed record StackModel(StackFeatureSet Features, int Models, RidgeFit?[] Fits, double[] Fill)
{
    /// <summary>
    /// Pure. <paramref name="oof"/>[row][model] holds each model's out-of-fold coordinates for a
    /// training row, <paramref name="truth"/>[row] its labels (NaN = unlabelled). <paramref name="l1Ratio"/>
    /// 0 = ridge, (0, 1] = elastic net with that share of L1.
    /// </summary>
    public static StackModel Fit(IReadOnlyList<IReadOnlyList<float[]>> oof, IReadOnlyList<float[]> truth, StackFeatureSet features, double alpha, double l1Ratio = 0) =>
        Prepared.Of(oof, truth, features).Solve(alpha, l1Ratio);

    /// <summary>A stack's features and regression problem, ready to be solved for several penalties.</summary>
    public sealed record Prepared(StackFeatureSet Features, int Models, double[] Fill, LinearProblem Problem)
    {
        public static Prepared Of(IReadOnlyList<IReadOnlyList<float[]>> oof, IReadOnlyList<float[]> truth, StackFeatureSet features)
        {
            if (oof.Count != truth.Count) throw new ArgumentException("one truth row per out-of-fold row");
            if (oof.Count == 0) throw new ArgumentException("no out-of-fold rows to fit on");
            var x = oof.Select(r => StackFeatures.Row(r, features)).ToArray();
            var p = x[0].Length;
            var fill = new double[p];
            for (var j = 0; j < p; j++)
            {
                double s = 0; var n = 0;
                foreach (var r in x) if (!double.IsNaN(r[j])) { s += r[j]; n++; }
                fill[j] = n == 0 ? 0 : s / n;
            }
            foreach (var r in x) Impute(r, fill);
            var targets = Enumerable.Range(0, Keypoints.CoordCount).Select(c => truth.Select(t => (double)t[c]).ToArray()).ToArray();
            return new Prepared(features, oof[0].Count, fill, LinearProblem.Prepare(x, targets));
        }

        public StackModel Solve(double alpha, double l1Ratio = 0, StackModel? warm = null) =>
            new(Features, Models, Problem.Solve(alpha, l1Ratio, warm?.Fits), Fill);
    }

    /// <summary>
    /// Pure. Picks the alpha with the lowest pooled RMSE when each fold's rows are predicted by a
    /// stack fitted on the other folds' rows (<paramref name="folds"/>[row] is the row's fold tag).
    /// Each fold's problem is prepared once and solved for every alpha, strongest first, each
    /// elastic-net solve starting from the previous one. Returns the alpha and every candidate's
    /// cross-validated RMSE, in the order given.
    /// </summary>
    public static (double Alpha, ImmutableArray<(double Alpha, double Rmse)> Scores) ChooseAlpha(
        IReadOnlyList<IReadOnlyList<float[]>> oof, IReadOnlyList<float[]> truth, IReadOnlyList<long> folds, StackFeatureSet features, IReadOnlyList<double> alphas, double l1Ratio = 0)
    {
        if (alphas.Count == 0) throw new ArgumentException("no alphas to choose from");
        var distinct = folds.Distinct().Order().ToArray();
        if (distinct.Length < 2) throw new ArgumentException("choosing alpha needs rows from at least two folds");
        var path = Enumerable.Range(0, alphas.Count).OrderByDescending(a => alphas[a]).ToArray();
        var sse = new double[distinct.Length, alphas.Count];
        var count = new long[distinct.Length, alphas.Count];
        Parallel.For(0, distinct.Length, k =>
        {
            var train = Enumerable.Range(0, oof.Count).Where(i => folds[i] != distinct[k]).ToArray();
            var prepared = Prepared.Of([.. train.Select(i => oof[i])], [.. train.Select(i => truth[i])], features);
            StackModel? previous = null;
            foreach (var a in path)
            {
                var fit = previous = prepared.Solve(alphas[a], l1Ratio, previous);
                for (var i = 0; i < oof.Count; i++)
                {
                    if (folds[i] != distinct[k]) continue;
                    var p = fit.Predict(oof[i]);
                    for (var c = 0; c < p.Length; c++)
                        if (!float.IsNaN(truth[i][c]) && !float.IsNaN(p[c])) { var d = p[c] - (double)truth[i][c]; sse[k, a] += d * d; count[k, a]++; }
                }
            }
        });
        var scores = ImmutableArray.CreateBuilder<(double, double)>();
        for (var a = 0; a < alphas.Count; a++)
        {
            double s = 0; long n = 0;
            for (var k = 0; k < distinct.Length; k++) { s += sse[k, a]; n += count[k, a]; }
            scores.Add((alphas[a], Math.Sqrt(s / Math.Max(1, n))));
        }
        var best = scores.MinBy(s => s.Item2);
        return (best.Item1, scores.ToImmutable());
    }

    public float[] Predict(IReadOnlyList<float[]> perModel)
    {
        if (perModel.Count != Models) throw new ArgumentException($"expected {Models} models' predictions, got {perModel.Count}");
        var row = StackFeatures.Row(perModel, Features);
        Impute(row, Fill);
        return [.. Fits.Select(f => f is null ? float.NaN : (float)f.Predict(row))];
    }

    private static void Impute(double[] row, double[] fill)
    {
        for (var j = 0; j < row.Length; j++) if (double.IsNaN(row[j])) row[j] = fill[j];
    }
}
