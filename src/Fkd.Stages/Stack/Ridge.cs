namespace Fkd.Stages.Stack;

/// <summary>
/// A fitted ridge regression on standardised features: <c>y = Intercept + Σ Weights[j]·(x[j] − Mean[j]) / Scale[j]</c>.
/// A feature constant on the training rows gets scale 1 and weight 0.
/// </summary>
public sealed record RidgeFit(double[] Mean, double[] Scale, double[] Weights, double Intercept, int Rows)
{
    public double Predict(ReadOnlySpan<double> x)
    {
        var y = Intercept;
        for (var j = 0; j < Weights.Length; j++) y += Weights[j] * (x[j] - Mean[j]) / Scale[j];
        return y;
    }

    /// <summary>Coefficients in the features' own units (<c>y = b0 + Σ b[j]·x[j]</c>) and that b0.</summary>
    public (double[] Coefficients, double Intercept) InOriginalUnits()
    {
        var b = new double[Weights.Length];
        var b0 = Intercept;
        for (var j = 0; j < b.Length; j++) { b[j] = Weights[j] / Scale[j]; b0 -= b[j] * Mean[j]; }
        return (b, b0);
    }
}

/// <summary>
/// The standardised features, Gram matrices and right-hand sides of one regression per target
/// column, computed once and then solved for as many penalties as wanted (cross-validation tries
/// several on the same rows). Columns labelled on the same rows share one group.
/// </summary>
public sealed class LinearProblem
{
    private sealed record Column(int Index, double[] Rhs, double YMean);
    private sealed record Group(int Rows, double[] Mean, double[] Scale, double[] Gram, ImmutableArray<Column> Columns);

    private readonly ImmutableArray<Group> _groups;
    private readonly int _p;
    private readonly int _targets;

    private LinearProblem(ImmutableArray<Group> groups, int p, int targets) { _groups = groups; _p = p; _targets = targets; }

    public static LinearProblem Prepare(IReadOnlyList<double[]> x, IReadOnlyList<double[]> targets)
    {
        var n = x.Count;
        var p = n == 0 ? 0 : x[0].Length;
        var groups = ImmutableArray.CreateBuilder<Group>();
        var byRows = Enumerable.Range(0, targets.Count)
            .GroupBy(c => string.Concat(Enumerable.Range(0, n).Select(i => double.IsNaN(targets[c][i]) ? '0' : '1')));
        foreach (var g in byRows)
        {
            var rows = Enumerable.Range(0, n).Where(i => g.Key[i] == '1').ToArray();
            if (rows.Length == 0) continue;
            var mean = new double[p];
            var scale = new double[p];
            foreach (var i in rows) for (var j = 0; j < p; j++) mean[j] += x[i][j];
            for (var j = 0; j < p; j++) mean[j] /= rows.Length;
            foreach (var i in rows) for (var j = 0; j < p; j++) { var d = x[i][j] - mean[j]; scale[j] += d * d; }
            for (var j = 0; j < p; j++) { var sd = Math.Sqrt(scale[j] / rows.Length); scale[j] = sd > 1e-12 ? sd : 1; }

            var z = rows.Select(i => { var r = new double[p]; for (var j = 0; j < p; j++) r[j] = (x[i][j] - mean[j]) / scale[j]; return r; }).ToArray();
            var gram = new double[p * p];
            foreach (var r in z)
                for (var a = 0; a < p; a++)
                {
                    var ra = r[a];
                    if (ra == 0) continue;
                    var off = a * p;
                    for (var b = a; b < p; b++) gram[off + b] += ra * r[b];
                }
            for (var a = 0; a < p; a++) for (var b = 0; b < a; b++) gram[a * p + b] = gram[b * p + a];

            var columns = ImmutableArray.CreateBuilder<Column>();
            foreach (var c in g)
            {
                var ys = rows.Select(i => targets[c][i]).ToArray();
                var ymean = ys.Average();
                var rhs = new double[p];
                for (var k = 0; k < rows.Length; k++)
                {
                    var d = ys[k] - ymean;
                    for (var j = 0; j < p; j++) rhs[j] += z[k][j] * d;
                }
                columns.Add(new Column(c, rhs, ymean));
            }
            groups.Add(new Group(rows.Length, mean, scale, gram, columns.ToImmutable()));
        }
        return new LinearProblem(groups.ToImmutable(), p, targets.Count);
    }

    /// <summary>
    /// The fits for one penalty: ridge (<paramref name="l1Ratio"/> 0, one Cholesky factor per group)
    /// or the elastic net, which starts from <paramref name="warm"/> when given (the fits of a nearby
    /// penalty, as a path from strong to weak penalties does) and converges in far fewer sweeps.
    /// </summary>
    public RidgeFit?[] Solve(double alpha, double l1Ratio = 0, IReadOnlyList<RidgeFit?>? warm = null)
    {
        if (alpha <= 0) throw new ArgumentOutOfRangeException(nameof(alpha), "ridge needs alpha > 0");
        if (l1Ratio is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(l1Ratio), "l1_ratio must be in [0, 1]");
        var fits = new RidgeFit?[_targets];
        foreach (var g in _groups)
        {
            double[]? chol = null;
            if (l1Ratio == 0)
            {
                var penalised = (double[])g.Gram.Clone();
                for (var a = 0; a < _p; a++) penalised[a * _p + a] += alpha;
                chol = Ridge.Cholesky(penalised, _p);
            }
            foreach (var c in g.Columns)
            {
                var w = chol is not null
                    ? Ridge.Solve(chol, _p, c.Rhs)
                    : ElasticNet.Solve(g.Gram, _p, c.Rhs, alpha, l1Ratio, start: warm?[c.Index]?.Weights);
                fits[c.Index] = new RidgeFit(g.Mean, g.Scale, w, c.YMean, g.Rows);
            }
        }
        return fits;
    }
}

/// <summary>
/// Ridge regression by the normal equations, <c>(ZᵀZ + αI) w = Zᵀ(y − ȳ)</c> on standardised
/// features Z, solved with a Cholesky factor; or, with an L1 share ρ &gt; 0, the elastic net on the
/// same Gram matrix (<see cref="ElasticNet"/>). Pure; no allocation beyond the p×p Gram matrix.
/// </summary>
public static class Ridge
{
    public static RidgeFit Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, double alpha, double l1Ratio = 0) =>
        FitColumns(x, [[.. y]], alpha, l1Ratio)[0] ?? throw new ArgumentException("no rows to fit");

    /// <summary>
    /// One fit per target column; NaN in a target marks a row unlabelled for that column. Columns
    /// labelled on the same rows share one standardisation, Gram matrix and Cholesky factor. A
    /// column with no labelled row gets null. <paramref name="l1Ratio"/> 0 = ridge, (0, 1] = elastic net.
    /// </summary>
    public static RidgeFit?[] FitColumns(IReadOnlyList<double[]> x, IReadOnlyList<double[]> targets, double alpha, double l1Ratio = 0) =>
        LinearProblem.Prepare(x, targets).Solve(alpha, l1Ratio);

    /// <summary>Lower-triangular L with A = L·Lᵀ (A symmetric positive definite, row-major p×p).</summary>
    public static double[] Cholesky(double[] a, int p)
    {
        var l = new double[p * p];
        for (var i = 0; i < p; i++)
            for (var j = 0; j <= i; j++)
            {
                var s = a[i * p + j];
                for (var k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
                if (i == j)
                {
                    if (s <= 0) throw new InvalidOperationException("matrix is not positive definite");
                    l[i * p + i] = Math.Sqrt(s);
                }
                else l[i * p + j] = s / l[j * p + j];
            }
        return l;
    }

    /// <summary>Solves L·Lᵀ·w = b.</summary>
    public static double[] Solve(double[] l, int p, double[] b)
    {
        var y = new double[p];
        for (var i = 0; i < p; i++)
        {
            var s = b[i];
            for (var k = 0; k < i; k++) s -= l[i * p + k] * y[k];
            y[i] = s / l[i * p + i];
        }
        var w = new double[p];
        for (var i = p - 1; i >= 0; i--)
        {
            var s = y[i];
            for (var k = i + 1; k < p; k++) s -= l[k * p + i] * w[k];
            w[i] = s / l[i * p + i];
        }
        return w;
    }
}
