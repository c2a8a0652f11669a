using System.Globalization;
using Parquet.Schema;

namespace Fkd.Stages.Outliers;

/// <summary>
/// The numbers of one row's checks (NaN where a check could not run: keypoints missing) and what
/// they flag. Gaps are positive when plausible: <see cref="EyeDx"/> = left eye x − right eye x,
/// <see cref="MouthNoseDy"/> = mouth y − nose y, <see cref="NoseEyeDy"/> = nose y − eye y.
/// </summary>
public sealed record OutlierCheck(
    double Score,
    bool Flagged,
    ImmutableArray<string> Codes,
    string Reasons,
    int Points,
    double EyeDx,
    double MouthNoseDy,
    double NoseEyeDy,
    double EyeDistance,
    double EyeDistanceZ,
    double ShapeResidualPx,
    double ShapeZ,
    int ShapeKeypoint);

public sealed record ReviewRow(long Id, string Hash, OutlierCheck Check);

/// <summary>Pure scoring: every statistic is a median or a MAD over the rows given, so a few bad labels do not move it.</summary>
public static class OutlierScoring
{
    public const string EyesSwapped = "eyes-swapped", MouthAboveNose = "mouth-above-nose", NoseAboveEyes = "nose-above-eyes",
        EyeDistance = "eye-distance", Shape = "shape";

    private const int LeftEye = 0, RightEye = 1, Nose = 10;
    private static readonly int[] Mouth = [11, 12, 13, 14];

    /// <summary>Scores each row of <paramref name="coords"/> (30 floats, Kaggle order, NaN = missing) against the others.</summary>
    public static ImmutableArray<OutlierCheck> Score(IReadOnlyList<float[]> coords, OutlierParams o)
    {
        var n = coords.Count;
        var eyeDx = new double[n];
        var mouthDy = new double[n];
        var noseDy = new double[n];
        var eyeDist = new double[n];
        for (var i = 0; i < n; i++)
        {
            var c = coords[i];
            eyeDx[i] = Has(c, LeftEye) && Has(c, RightEye) ? c[2 * LeftEye] - c[2 * RightEye] : double.NaN;
            eyeDist[i] = Has(c, LeftEye) && Has(c, RightEye) ? Math.Sqrt(Sq(c[0] - c[2]) + Sq(c[1] - c[3])) : double.NaN;
            var my = MeanY(c, Mouth);
            mouthDy[i] = Has(c, Nose) && !double.IsNaN(my) ? my - c[2 * Nose + 1] : double.NaN;
            var ey = MeanY(c, [LeftEye, RightEye]);
            noseDy[i] = Has(c, Nose) && !double.IsNaN(ey) ? c[2 * Nose + 1] - ey : double.NaN;
        }
        var (eyeMed, eyeScale) = Robust(eyeDist, o.MinScalePx);
        var (dxMed, dxScale) = Robust(eyeDx, o.MinScalePx);
        var (mMed, mScale) = Robust(mouthDy, o.MinScalePx);
        var (nMed, nScale) = Robust(noseDy, o.MinScalePx);

        var residuals = ShapeResiduals(coords, o.MinPoints);
        // Robust z of each keypoint's residual, with statistics per (keypoint, number of labelled
        // points): a 4-point row's fit absorbs more of its error than a 15-point row's.
        var shapeZ = new double[n][];
        for (var i = 0; i < n; i++) { shapeZ[i] = new double[Keypoints.Count]; Array.Fill(shapeZ[i], double.NaN); }
        var points = coords.Select(CountPoints).ToArray();
        foreach (var grp in Enumerable.Range(0, n).Where(i => residuals[i] is not null).GroupBy(i => points[i]))
        {
            var members = grp.Count() >= 20 ? grp.ToArray() : Enumerable.Range(0, n).Where(i => residuals[i] is not null).ToArray();
            for (var k = 0; k < Keypoints.Count; k++)
            {
                var (med, scale) = Robust(members.Select(i => residuals[i]![k]).ToArray(), o.MinScalePx);
                foreach (var i in grp)
                    if (!double.IsNaN(residuals[i]![k])) shapeZ[i][k] = (residuals[i]![k] - med) / scale;
            }
        }

        var res = ImmutableArray.CreateBuilder<OutlierCheck>(n);
        for (var i = 0; i < n; i++)
        {
            var codes = ImmutableArray.CreateBuilder<string>();
            var why = new List<string>();
            var score = 0.0;
            void Consider(double z) { if (!double.IsNaN(z)) score = Math.Max(score, z); }

            // Order rules: a hard flag; their score is how far below the typical gap the row lies.
            if (eyeDx[i] < o.OrderMarginPx)
            {
                codes.Add(EyesSwapped);
                why.Add(F($"{EyesSwapped}: left eye not left of right on the image (left x - right x = {eyeDx[i]:F1} px)"));
            }
            Consider((dxMed - eyeDx[i]) / dxScale);
            if (mouthDy[i] < o.OrderMarginPx)
            {
                codes.Add(MouthAboveNose);
                why.Add(F($"{MouthAboveNose}: mouth above nose (mouth y - nose y = {mouthDy[i]:F1} px)"));
            }
            Consider((mMed - mouthDy[i]) / mScale);
            if (noseDy[i] < o.OrderMarginPx)
            {
                codes.Add(NoseAboveEyes);
                why.Add(F($"{NoseAboveEyes}: nose above eyes (nose y - eye y = {noseDy[i]:F1} px)"));
            }
            Consider((nMed - noseDy[i]) / nScale);

            var ez = (eyeDist[i] - eyeMed) / eyeScale;
            if (Math.Abs(ez) > o.EyeDistanceZ)
            {
                codes.Add(EyeDistance);
                why.Add(F($"{EyeDistance}: eye distance {eyeDist[i]:F1} px vs median {eyeMed:F1} (z {ez:F1})"));
            }
            Consider(Math.Abs(ez));

            var worst = -1;
            for (var k = 0; k < Keypoints.Count; k++)
                if (!double.IsNaN(shapeZ[i][k]) && (worst < 0 || shapeZ[i][k] > shapeZ[i][worst])) worst = k;
            var sz = worst >= 0 ? shapeZ[i][worst] : double.NaN;
            if (sz > o.ShapeZ)
            {
                codes.Add(Shape);
                why.Add(F($"{Shape}: {Keypoints.Names[worst]} {residuals[i]![worst]:F1} px from the fitted mean shape (z {sz:F1})"));
            }
            Consider(sz);

            res.Add(new OutlierCheck(score, codes.Count > 0, codes.ToImmutable(), string.Join("; ", why), points[i],
                eyeDx[i], mouthDy[i], noseDy[i], eyeDist[i], ez,
                worst >= 0 ? residuals[i]![worst] : double.NaN, sz, worst));
        }
        return res.MoveToImmutable();
    }

    /// <summary>
    /// Per row, each labelled keypoint's distance (px, image frame) from the robust mean shape after
    /// fitting that shape to the row's labelled keypoints by a least-squares similarity transform;
    /// null for rows with fewer than <paramref name="minPoints"/> keypoints.
    /// </summary>
    public static double[]?[] ShapeResiduals(IReadOnlyList<float[]> coords, int minPoints)
    {
        var mean = MeanShape(coords, minPoints);
        var res = new double[]?[coords.Count];
        for (var i = 0; i < coords.Count; i++)
        {
            var c = coords[i];
            if (CountPoints(c) < minPoints) continue;
            var (a, b, tx, ty) = FitSimilarity(mean, c);
            var r = new double[Keypoints.Count];
            for (var k = 0; k < Keypoints.Count; k++)
            {
                if (!Has(c, k) || double.IsNaN(mean[2 * k])) { r[k] = double.NaN; continue; }
                var (px, py) = (a * mean[2 * k] - b * mean[2 * k + 1] + tx, b * mean[2 * k] + a * mean[2 * k + 1] + ty);
                r[k] = Math.Sqrt(Sq(px - c[2 * k]) + Sq(py - c[2 * k + 1]));
            }
            res[i] = r;
        }
        return res;
    }

    /// <summary>
    /// Robust mean shape (30 values, centred, unit RMS radius over the keypoints present): starts
    /// from per-keypoint medians and refines by aligning every row to it and taking per-keypoint
    /// medians again (generalised Procrustes with medians in place of means).
    /// </summary>
    public static double[] MeanShape(IReadOnlyList<float[]> coords, int minPoints = 4)
    {
        var usable = coords.Where(c => CountPoints(c) >= minPoints).ToArray();
        var mean = new double[Keypoints.CoordCount];
        for (var j = 0; j < mean.Length; j++)
            mean[j] = Median(usable.Select(c => (double)c[j]).Where(v => !double.IsNaN(v)).ToArray());
        Normalise(mean);
        for (var iter = 0; iter < 4; iter++)
        {
            var aligned = new List<double>[Keypoints.CoordCount];
            for (var j = 0; j < aligned.Length; j++) aligned[j] = [];
            foreach (var c in usable)
            {
                // Inverse direction: map the row onto the mean shape's frame.
                var (a, b, tx, ty) = FitSimilarity(mean, c);
                var s2 = a * a + b * b;
                if (s2 < 1e-12) continue;
                for (var k = 0; k < Keypoints.Count; k++)
                {
                    if (!Has(c, k)) continue;
                    var (dx, dy) = (c[2 * k] - tx, c[2 * k + 1] - ty);
                    aligned[2 * k].Add((a * dx + b * dy) / s2);
                    aligned[2 * k + 1].Add((-b * dx + a * dy) / s2);
                }
            }
            for (var j = 0; j < mean.Length; j++) mean[j] = aligned[j].Count > 0 ? Median([.. aligned[j]]) : double.NaN;
            Normalise(mean);
        }
        return mean;
    }

    /// <summary>
    /// Least-squares similarity (x' = a·x − b·y + tx, y' = b·x + a·y + ty) taking the shape
    /// <paramref name="from"/> to the keypoints <paramref name="to"/> has, over keypoints both have.
    /// </summary>
    public static (double A, double B, double Tx, double Ty) FitSimilarity(double[] from, float[] to)
    {
        double fx = 0, fy = 0, gx = 0, gy = 0; var n = 0;
        for (var k = 0; k < Keypoints.Count; k++)
        {
            if (!Has(to, k) || double.IsNaN(from[2 * k])) continue;
            fx += from[2 * k]; fy += from[2 * k + 1]; gx += to[2 * k]; gy += to[2 * k + 1]; n++;
        }
        if (n == 0) return (0, 0, 0, 0);
        fx /= n; fy /= n; gx /= n; gy /= n;
        double sxx = 0, sre = 0, sim = 0;
        for (var k = 0; k < Keypoints.Count; k++)
        {
            if (!Has(to, k) || double.IsNaN(from[2 * k])) continue;
            var (mx, my) = (from[2 * k] - fx, from[2 * k + 1] - fy);
            var (px, py) = (to[2 * k] - gx, to[2 * k + 1] - gy);
            sxx += mx * mx + my * my;
            sre += mx * px + my * py;
            sim += mx * py - my * px;
        }
        if (sxx < 1e-12) return (1, 0, gx - fx, gy - fy);
        var (a, b) = (sre / sxx, sim / sxx);
        return (a, b, gx - (a * fx - b * fy), gy - (b * fx + a * fy));
    }

    /// <summary>Median and 1.4826·MAD (floored) of the non-NaN values; (NaN, floor) when there are none.</summary>
    public static (double Median, double Scale) Robust(IReadOnlyList<double> values, double floor)
    {
        var v = values.Where(x => !double.IsNaN(x)).ToArray();
        if (v.Length == 0) return (double.NaN, floor);
        var med = Median(v);
        var mad = Median(v.Select(x => Math.Abs(x - med)).ToArray());
        return (med, Math.Max(floor, 1.4826 * mad));
    }

    public static double Median(double[] v)
    {
        if (v.Length == 0) return double.NaN;
        var s = (double[])v.Clone();
        Array.Sort(s);
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    public static int CountPoints(float[] c) { var n = 0; for (var k = 0; k < Keypoints.Count; k++) if (Has(c, k)) n++; return n; }

    private static void Normalise(double[] shape)
    {
        double cx = 0, cy = 0; var n = 0;
        for (var k = 0; k < Keypoints.Count; k++) if (!double.IsNaN(shape[2 * k])) { cx += shape[2 * k]; cy += shape[2 * k + 1]; n++; }
        if (n == 0) return;
        cx /= n; cy /= n;
        double r = 0;
        for (var k = 0; k < Keypoints.Count; k++) if (!double.IsNaN(shape[2 * k])) r += Sq(shape[2 * k] - cx) + Sq(shape[2 * k + 1] - cy);
        r = Math.Sqrt(r / n);
        if (r < 1e-12) r = 1;
        for (var k = 0; k < Keypoints.Count; k++) { shape[2 * k] = (shape[2 * k] - cx) / r; shape[2 * k + 1] = (shape[2 * k + 1] - cy) / r; }
    }

    private static bool Has(float[] c, int k) => !float.IsNaN(c[2 * k]) && !float.IsNaN(c[2 * k + 1]);

    private static double MeanY(float[] c, int[] ks)
    {
        double s = 0; var n = 0;
        foreach (var k in ks) if (Has(c, k)) { s += c[2 * k + 1]; n++; }
        return n == 0 ? double.NaN : s / n;
    }

    private static double Sq(double x) => x * x;

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
