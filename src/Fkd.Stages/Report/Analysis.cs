namespace Fkd.Stages.Report;

/// <summary>Principal components of downsampled images, by covariance and power iteration with deflation.</summary>
public sealed class Pca
{
    public required double[] Mean { get; init; }
    /// <summary>Unit-length components, largest variance first.</summary>
    public required double[][] Components { get; init; }
    public required double[] Variances { get; init; }
    public required double TotalVariance { get; init; }

    /// <summary>Block-averages a 96x96 image to side x side (side must divide 96) in [0, 1].</summary>
    public static double[] Downsample(byte[] pixels, int side)
    {
        if (Keypoints.ImageSide % side != 0) throw new ArgumentException($"side {side} does not divide {Keypoints.ImageSide}");
        var f = Keypoints.ImageSide / side;
        var res = new double[side * side];
        for (var y = 0; y < Keypoints.ImageSide; y++)
            for (var x = 0; x < Keypoints.ImageSide; x++)
                res[y / f * side + x / f] += pixels[y * Keypoints.ImageSide + x];
        var norm = 1.0 / (f * f * 255.0);
        for (var i = 0; i < res.Length; i++) res[i] *= norm;
        return res;
    }

    public static Pca Fit(IReadOnlyList<double[]> rows, int components, int iterations = 200, int seed = 1)
    {
        var d = rows[0].Length;
        var mean = new double[d];
        foreach (var r in rows) for (var j = 0; j < d; j++) mean[j] += r[j];
        for (var j = 0; j < d; j++) mean[j] /= rows.Count;
        // Covariance (upper triangle, then mirrored), rows in parallel chunks.
        var chunks = Environment.ProcessorCount;
        var partial = new double[chunks][];
        Parallel.For(0, chunks, c =>
        {
            var cov = new double[d * d];
            var x = new double[d];
            for (var i = c; i < rows.Count; i += chunks)
            {
                for (var j = 0; j < d; j++) x[j] = rows[i][j] - mean[j];
                for (var a = 0; a < d; a++)
                {
                    var xa = x[a];
                    if (xa == 0) continue;
                    var off = a * d;
                    for (var b = a; b < d; b++) cov[off + b] += xa * x[b];
                }
            }
            partial[c] = cov;
        });
        var m = new double[d * d];
        foreach (var p in partial) for (var i = 0; i < m.Length; i++) m[i] += p[i];
        var denom = Math.Max(1, rows.Count - 1);
        for (var a = 0; a < d; a++)
            for (var b = a; b < d; b++) { m[a * d + b] /= denom; m[b * d + a] = m[a * d + b]; }
        var total = 0.0;
        for (var a = 0; a < d; a++) total += m[a * d + a];

        var rng = new Random(seed);
        var comps = new List<double[]>();
        var vars = new List<double>();
        for (var k = 0; k < Math.Min(components, d); k++)
        {
            var v = Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray();
            Normalise(v);
            var lambda = 0.0;
            var w = new double[d];
            for (var it = 0; it < iterations; it++)
            {
                for (var a = 0; a < d; a++) { var s = 0.0; var off = a * d; for (var b = 0; b < d; b++) s += m[off + b] * v[b]; w[a] = s; }
                // Deflate: remove the directions already found.
                foreach (var c in comps) { var dot = Dot(w, c); for (var a = 0; a < d; a++) w[a] -= dot * c[a]; }
                lambda = Math.Sqrt(Dot(w, w));
                if (lambda < 1e-15) break;
                for (var a = 0; a < d; a++) v[a] = w[a] / lambda;
            }
            comps.Add((double[])v.Clone());
            vars.Add(lambda);
        }
        return new Pca { Mean = mean, Components = [.. comps], Variances = [.. vars], TotalVariance = total };
    }

    public double[] Project(double[] row, int components)
    {
        var res = new double[Math.Min(components, Components.Length)];
        for (var k = 0; k < res.Length; k++)
        {
            var s = 0.0;
            for (var j = 0; j < row.Length; j++) s += (row[j] - Mean[j]) * Components[k][j];
            res[k] = s;
        }
        return res;
    }

    private static double Dot(double[] a, double[] b) { var s = 0.0; for (var i = 0; i < a.Length; i++) s += a[i] * b[i]; return s; }

    private static void Normalise(double[] v) { var n = Math.Sqrt(Dot(v, v)); for (var i = 0; i < v.Length; i++) v[i] /= n; }
}

/// <summary>
/// Adversarial validation: how well a classifier tells train rows from test rows. Logistic
/// regression (standardised features, gradient descent, small L2), k folds stratified by class;
/// the out-of-fold scores give a ROC AUC — 0.5 means the two sets look alike.
/// </summary>
public static class Adversarial
{
    public static double CrossValidatedAuc(IReadOnlyList<double[]> features, IReadOnlyList<bool> isTest, int folds, int seed, int epochs = 300)
    {
        var n = features.Count;
        if (n == 0 || isTest.All(t => t) || isTest.All(t => !t)) return double.NaN;
        var d = features[0].Length;
        var fold = new int[n];
        var rng = new Random(seed);
        foreach (var cls in new[] { false, true })
        {
            var idx = Enumerable.Range(0, n).Where(i => isTest[i] == cls).OrderBy(_ => rng.Next()).ToArray();
            for (var j = 0; j < idx.Length; j++) fold[idx[j]] = j % folds;
        }
        var scores = new double[n];
        for (var f = 0; f < folds; f++)
        {
            var train = Enumerable.Range(0, n).Where(i => fold[i] != f).ToArray();
            var held = Enumerable.Range(0, n).Where(i => fold[i] == f).ToArray();
            if (held.Length == 0) continue;
            // Standardise with the training part's statistics.
            var mu = new double[d]; var sd = new double[d];
            foreach (var i in train) for (var j = 0; j < d; j++) mu[j] += features[i][j];
            for (var j = 0; j < d; j++) mu[j] /= train.Length;
            foreach (var i in train) for (var j = 0; j < d; j++) sd[j] += Math.Pow(features[i][j] - mu[j], 2);
            for (var j = 0; j < d; j++) sd[j] = Math.Sqrt(sd[j] / train.Length) + 1e-9;
            double[] Z(int i) { var z = new double[d]; for (var j = 0; j < d; j++) z[j] = (features[i][j] - mu[j]) / sd[j]; return z; }
            var xs = train.Select(Z).ToArray();
            var ys = train.Select(i => isTest[i] ? 1.0 : 0.0).ToArray();
            // Balance the classes so the minority is not ignored.
            var pos = ys.Sum();
            var wPos = pos > 0 ? ys.Length / (2 * pos) : 0;
            var wNeg = ys.Length - pos > 0 ? ys.Length / (2 * (ys.Length - pos)) : 0;
            var w = new double[d]; var b = 0.0;
            const double lr = 0.5, l2 = 1e-3;
            var g = new double[d];
            for (var e = 0; e < epochs; e++)
            {
                Array.Clear(g); var gb = 0.0;
                for (var i = 0; i < xs.Length; i++)
                {
                    var p = Sigmoid(b + Dot(w, xs[i]));
                    var err = (p - ys[i]) * (ys[i] > 0.5 ? wPos : wNeg);
                    for (var j = 0; j < d; j++) g[j] += err * xs[i][j];
                    gb += err;
                }
                for (var j = 0; j < d; j++) w[j] -= lr * (g[j] / xs.Length + l2 * w[j]);
                b -= lr * gb / xs.Length;
            }
            foreach (var i in held) scores[i] = b + Dot(w, Z(i));
        }
        return Auc(scores, isTest);
    }

    /// <summary>ROC AUC by ranks (ties share their mean rank).</summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[scores.Count];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            for (var k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        double nPos = positive.Count(p => p), nNeg = positive.Count - nPos;
        if (nPos == 0 || nNeg == 0) return double.NaN;
        var sum = Enumerable.Range(0, scores.Count).Where(i => positive[i]).Sum(i => ranks[i]);
        return (sum - nPos * (nPos + 1) / 2) / (nPos * nNeg);
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    private static double Dot(double[] a, double[] b) { var s = 0.0; for (var i = 0; i < a.Length; i++) s += a[i] * b[i]; return s; }
}
