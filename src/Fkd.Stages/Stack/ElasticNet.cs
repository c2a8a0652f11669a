namespace Fkd.Stages.Stack;

/// <summary>
/// The elastic-net solve on standardised features, by cyclic coordinate descent on the Gram matrix
/// (the "covariance updates" of Friedman, Hastie and Tibshirani 2010): minimises
/// <c>½‖y − Zw‖² + α·(ρ‖w‖₁ + (1 − ρ)/2·‖w‖²)</c>, so ρ = 0 is exactly <see cref="Ridge"/>'s
/// objective and the same α scale serves both. Pure.
/// </summary>
public static class ElasticNet
{
    /// <param name="gram">ZᵀZ, row-major p×p, without any penalty on the diagonal.</param>
    /// <param name="zty">Zᵀ(y − ȳ).</param>
    /// <param name="l1Ratio">ρ in (0, 1]: the share of the penalty that is L1.</param>
    /// <param name="tolerance">converged when no weight moved by more than this fraction of the largest weight in a sweep.</param>
    /// <param name="start">weights to start from (a warm start), or null for zeros.</param>
    public static double[] Solve(double[] gram, int p, double[] zty, double alpha, double l1Ratio,
        double tolerance = 1e-8, int maxSweeps = 5_000, double[]? start = null)
    {
        if (alpha <= 0) throw new ArgumentOutOfRangeException(nameof(alpha), "the elastic net needs alpha > 0");
        if (l1Ratio is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(l1Ratio), "l1_ratio must be in (0, 1]");
        var l1 = alpha * l1Ratio;
        var l2 = alpha * (1 - l1Ratio);
        if (start is not null && start.Length != p) throw new ArgumentException($"a warm start of {start.Length} weights for {p} features", nameof(start));
        var w = start is null ? new double[p] : (double[])start.Clone();
        var gw = new double[p]; // Gram · w, kept current as weights move
        if (start is not null)
            for (var j = 0; j < p; j++)
                if (w[j] != 0)
                    for (var k = 0; k < p; k++) gw[k] += w[j] * gram[j * p + k];
        var all = Enumerable.Range(0, p).ToArray();
        // glmnet's active-set strategy: sweep every feature once, then only the non-zero ones until
        // they settle, then every feature again; done when a full sweep changes nothing that matters.
        for (var sweeps = 0; sweeps < maxSweeps;)
        {
            sweeps++;
            if (Sweep(all, gram, p, zty, w, gw, l1, l2) <= tolerance * MaxAbs(w)) break;
            var active = all.Where(j => w[j] != 0).ToArray();
            while (sweeps < maxSweeps)
            {
                sweeps++;
                if (Sweep(active, gram, p, zty, w, gw, l1, l2) <= tolerance * MaxAbs(w)) break;
            }
        }
        return w;
    }

    /// <summary>One pass of coordinate updates over <paramref name="features"/>; returns the largest change.</summary>
    private static double Sweep(int[] features, double[] gram, int p, double[] zty, double[] w, double[] gw, double l1, double l2)
    {
        var biggest = 0.0;
        foreach (var j in features)
        {
            var gjj = gram[j * p + j];
            if (gjj <= 0) continue; // a constant feature: its weight stays 0
            // The correlation of feature j with the residual that leaves feature j out.
            var rho = zty[j] - gw[j] + gjj * w[j];
            var updated = SoftThreshold(rho, l1) / (gjj + l2);
            var delta = updated - w[j];
            if (delta == 0) continue;
            w[j] = updated;
            var row = j * p; // the Gram matrix is symmetric: row j is column j
            for (var k = 0; k < p; k++) gw[k] += delta * gram[row + k];
            biggest = Math.Max(biggest, Math.Abs(delta));
        }
        return biggest;
    }

    private static double MaxAbs(double[] w)
    {
        var m = 0.0;
        foreach (var v in w) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    public static double SoftThreshold(double v, double t) => v > t ? v - t : v < -t ? v + t : 0;
}
