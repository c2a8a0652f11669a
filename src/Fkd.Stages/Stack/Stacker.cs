namespace Fkd.Stages.Stack;

/// <summary>A fitted stack: its features' layout, one ridge or elastic-net fit per output coordinate (null where no training row was labelled) and the values that fill missing features.</summary>
public sealed record StackModel(StackLayout Layout, RidgeFit?[] Fits, double[] Fill)
{
    public int Models => Layout.Models;

    /// <summary>
    /// Pure. <paramref name="oof"/>[row][model] holds each model's out-of-fold coordinates for a
    /// training row, <paramref name="truth"/>[row] its labels (NaN = unlabelled). <paramref name="l1Ratio"/>
    /// 0 = ridge, (0, 1] = elastic net with that share of L1.
    /// </summary>
    public static StackModel Fit(IReadOnlyList<IReadOnlyList<float[]>> oof, IReadOnlyList<float[]> truth, StackFeatureSet features, double alpha, double l1Ratio = 0) =>
        Prepared.Of(oof, truth, StackLayout.Of(oof, features)).Solve(alpha, l1Ratio);

    /// <summary>A stack's features and regression problem, ready to be solved for several penalties.</summary>
    public sealed record Prepared(StackLayout Layout, double[] Fill, LinearProblem Problem)
    {
        public static Prepared Of(IReadOnlyList<IReadOnlyList<float[]>> oof, IReadOnlyList<float[]> truth, StackLayout layout)
        {
            if (oof.Count != truth.Count) throw new ArgumentException("one truth row per out-of-fold row");
            if (oof.Count == 0) throw new ArgumentException("no out-of-fold rows to fit on");
            var x = oof.Select(layout.Row).ToArray();
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
            return new Prepared(layout, fill, LinearProblem.Prepare(x, targets));
        }

        public StackModel Solve(double alpha, double l1Ratio = 0, StackModel? warm = null) =>
            new(Layout, Problem.Solve(alpha, l1Ratio, warm?.Fits), Fill);
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
        var layout = StackLayout.Of(oof, features); // every fold's fit lays its features out alike
        var sse = new double[distinct.Length, alphas.Count];
        var count = new long[distinct.Length, alphas.Count];
        Parallel.For(0, distinct.Length, k =>
        {
            var train = Enumerable.Range(0, oof.Count).Where(i => folds[i] != distinct[k]).ToArray();
            var prepared = Prepared.Of([.. train.Select(i => oof[i])], [.. train.Select(i => truth[i])], layout);
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
        var row = Layout.Row(perModel);
        Impute(row, Fill);
        return [.. Fits.Select(f => f is null ? float.NaN : (float)f.Predict(row))];
    }

    private static void Impute(double[] row, double[] fill)
    {
        for (var j = 0; j < row.Length; j++) if (double.IsNaN(row[j])) row[j] = fill[j];
    }
}
