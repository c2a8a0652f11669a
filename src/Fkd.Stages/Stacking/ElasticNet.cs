namespace Fkd.Stages.Stacking;

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
    /// <param name="tolerance">stop when no weight moved by more than this in a sweep (weights are per standard deviation).</param>
    public static double[] Solve(double[] gram, int p, double[] zty, double alpha, double l1Ratio,
        double tolerance = 1e-7, int maxSweeps = 10_000)
    {
        if (alpha <= 0) throw new ArgumentOutOfRangeException(nameof(alpha), "the elastic net needs alpha > 0");
        if (l1Ratio is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(l1Ratio), "l1_ratio must be in (0, 1]");
        var l1 = alpha * l1Ratio;
        var l2 = alpha * (1 - l1Ratio);
        var w = new double[p];
        var gw = new double[p]; // Gram · w, kept current as weights move
        for (var sweep = 0; sweep < maxSweeps; sweep++)
        {
            var biggest = 0.0;
            for (var j = 0; j < p; j++)
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
            if (biggest <= tolerance) break;
        }
        return w;
    }

    public static double SoftThreshold(double v, double t) => v > t ? v - t : v < -t ? v + t : 0;
}
