using System.Globalization;
using System.Net;
using System.Text;
using Fkd.Stages.Dedup;
using Fkd.Stages.Drawing;
using Fkd.Stages.Faces;
using Fkd.Stages.Report;
using SkiaSharp;

namespace Fkd.Stages.Tests.Report;

/// <summary>
/// The report as it was built before it streamed, kept here verbatim as the reference the streaming
/// report must match byte for byte: every row, image included, in memory. (ReportPictures' old
/// whole-row MeanFaceWithCloud comes along, with the two helpers it used.)
/// </summary>
internal static class WholeTableReport
{
    public static (string Html, ReportSummary Summary) Build(
        IReadOnlyList<FaceRow> train, IReadOnlyList<FaceRow>? test, IReadOnlyList<DuplicateGroup>? groups,
        IReadOnlyList<ReviewEntry>? review, ReportParams o, string title = "Facial keypoints: data report")
    {
        test ??= [];
        var h = new Html();
        h.Raw("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n");
        h.Raw("<title>").Text(title).Raw("</title>\n<style>\n")
            .Raw("body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1200px; }\n")
            .Raw("table { border-collapse: collapse; margin: 0.5em 0; }\n td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }\n")
            .Raw("th { background: #eee; } td.l, th.l { text-align: left; }\n")
            .Raw("figure { display: inline-block; margin: 4px; vertical-align: top; width: 200px; font-size: 11px; }\n")
            .Raw("figure.wide { width: auto; } figcaption { word-wrap: break-word; }\n")
            .Raw(".group { border: 1px solid #ddd; margin: 6px 0; padding: 4px; }\n section { margin-bottom: 2em; }\n")
            .Raw("</style>\n</head>\n<body>\n");
        h.Raw("<h1>").Text(title).Raw("</h1>\n");

        // ---- Summary (filled at the end; numbers computed below)
        var labelled = train.Select(r => r.Face.LabelledKeypoints).ToArray();
        var isFour = train.Select(IsFourPattern).ToArray();
        var full = labelled.Count(n => n == Keypoints.Count);
        var four = isFour.Count(b => b);
        groups ??= Duplicates.Merge(train).Groups;
        var groupsComputed = groups.Count;
        var flagged = review?.Where(r => r.Flagged).OrderByDescending(r => r.Score).ToArray() ?? [];

        // PCA + adversarial validation
        var (pcaPng, auc, share1, share2, pcaNote) = PcaSection(train, test, o);

        h.Raw("<section id=\"summary\">\n<h2>Summary</h2>\n<table>\n");
        Row(h, "training rows", train.Count);
        Row(h, "test rows", test.Count);
        Row(h, "rows with all 15 keypoints", full);
        Row(h, "rows with exactly Kaggle's 4 (eye centres, nose tip, bottom lip)", four);
        Row(h, "other rows", train.Count - full - four);
        Row(h, "duplicate groups (identical pixels)", groups.Count);
        Row(h, "rows in duplicate groups", groups.Sum(g => g.Ids.Length));
        Row(h, "rows flagged as outliers", review is null ? "no review input" : flagged.Length.ToString(CultureInfo.InvariantCulture));
        Row(h, "adversarial validation ROC AUC (0.5 = train and test alike)", double.IsNaN(auc) ? "n/a (no test rows)" : F(auc, "F3"));
        h.Raw("</table>\n</section>\n");

        // ---- Label availability
        var counts = Enumerable.Range(0, Keypoints.Count).Select(k => train.Count(r => !float.IsNaN(r.Coords[2 * k]) && !float.IsNaN(r.Coords[2 * k + 1]))).ToArray();
        h.Raw("<section id=\"labels\">\n<h2>Label availability per keypoint</h2>\n");
        h.Img(ReportPictures.LabelAvailabilityChart(counts, train.Count), "label availability per keypoint");
        h.Raw("<table>\n<tr><th class=\"l\">keypoint</th><th>rows labelled</th><th>%</th></tr>\n");
        for (var k = 0; k < Keypoints.Count; k++)
            h.Raw("<tr><td class=\"l\">").Text(Keypoints.Names[k]).Raw("</td><td>").Text(counts[k].ToString(CultureInfo.InvariantCulture))
             .Raw("</td><td>").Text(F(train.Count == 0 ? 0 : 100.0 * counts[k] / train.Count, "F1")).Raw("</td></tr>\n");
        h.Raw("</table>\n</section>\n");

        // ---- Two-source pattern
        h.Raw("<section id=\"sources\">\n<h2>The two-source pattern by row index</h2>\n<p>")
         .Text($"Each column is a row (or a bin of rows) in file order: dark blue = all 15 keypoints ({full}), orange = exactly the 4-keypoint subset ({four}), grey = anything else ({train.Count - full - four}).")
         .Raw("</p>\n");
        h.Img(ReportPictures.SourceStrip(labelled, isFour), "two-source strip");
        h.Img(ReportPictures.SourceScatter(labelled), "labelled keypoints by row index");
        h.Raw("</section>\n");

        // ---- Pixel histograms
        h.Raw("<section id=\"pixels\">\n<h2>Pixel histograms, train vs test</h2>\n");
        var (histTrain, meanTrain, sdTrain) = Histogram(train);
        var (histTest, meanTest, sdTest) = test.Count > 0 ? Histogram(test) : (null, double.NaN, double.NaN);
        h.Img(ReportPictures.PixelHistograms(histTrain, histTest), "pixel histograms");
        h.Raw("<p>").Text($"train: mean grey {F(meanTrain, "F1")}, sd {F(sdTrain, "F1")}" +
            (test.Count > 0 ? $"; test: mean grey {F(meanTest, "F1")}, sd {F(sdTest, "F1")}" : "; no test rows")).Raw("</p>\n</section>\n");

        // ---- Mean face with keypoint cloud
        h.Raw("<section id=\"meanface\">\n<h2>Mean face with the keypoint cloud</h2>\n<p>")
         .Text("Mean training image; every labelled keypoint of every row as a faint dot (subject's left green, right red, centre yellow); white rings at the per-keypoint means.")
         .Raw("</p>\n");
        h.Img(MeanFaceWithCloud(train), "mean face with keypoint cloud");
        h.Raw("</section>\n");

        // ---- Extremes
        h.Raw("<section id=\"extremes\">\n<h2>Extreme coordinates</h2>\n<p>").Text("Rows with the smallest and largest x and y of a few keypoints (the keypoint ringed in cyan).").Raw("</p>\n");
        foreach (var k in o.ExtremeKeypoints.Where(k => k is >= 0 and < Keypoints.Count))
        {
            var have = train.Where(r => !float.IsNaN(r.Coords[2 * k])).ToArray();
            if (have.Length == 0) continue;
            h.Raw("<div>\n");
            foreach (var (label, axis, max) in new[] { ("min x", 0, false), ("max x", 0, true), ("min y", 1, false), ("max y", 1, true) })
            {
                var r = max ? have.MaxBy(r => r.Coords[2 * k + axis])! : have.MinBy(r => r.Coords[2 * k + axis])!;
                h.Figure(ReportPictures.FaceTile(r.Pixels, r.Coords, 2, k),
                    $"{Keypoints.Names[k]} {label} = {F(r.Coords[2 * k + axis], "F1")} (row {r.Id})");
            }
            h.Raw("</div>\n");
        }
        h.Raw("</section>\n");

        // ---- Duplicate groups
        var byId = train.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.First());
        h.Raw("<section id=\"duplicates\">\n<h2>Duplicate groups</h2>\n<p>")
         .Text($"{groups.Count} groups of byte-identical images ({groups.Sum(g => g.Ids.Length)} rows); showing up to {o.MaxGroups}, the groups whose labels disagree most first.")
         .Raw("</p>\n");
        foreach (var (g, spread) in groups.Select(g => (g, Spread(g, byId))).OrderByDescending(x => x.Item2).Take(o.MaxGroups))
        {
            h.Raw("<div class=\"group\">\n<p>").Text($"hash {g.Hash[..12]}…, {g.Ids.Length} rows, largest label disagreement {F(spread, "F1")} px").Raw("</p>\n");
            foreach (var id in g.Ids)
                if (byId.TryGetValue(id, out var r)) h.Figure(ReportPictures.FaceTile(r.Pixels, r.Coords), $"row {id}");
            h.Raw("</div>\n");
        }
        h.Raw("</section>\n");

        // ---- Outliers
        h.Raw("<section id=\"outliers\">\n<h2>Flagged outliers</h2>\n");
        if (review is null) h.Raw("<p>").Text("No review input (outliers stage) given.").Raw("</p>\n");
        else
        {
            var byHash = train.GroupBy(r => r.Hash).ToDictionary(g => g.Key, g => g.First());
            h.Raw("<p>").Text($"{flagged.Length} of {review.Count} reviewed rows flagged; highest scores first (up to {o.MaxOutliers}).").Raw("</p>\n");
            foreach (var f in flagged.Take(o.MaxOutliers))
            {
                var r = byId.GetValueOrDefault(f.Id) is { } x && x.Hash == f.Hash ? x : byHash.GetValueOrDefault(f.Hash);
                if (r is null) continue;
                h.Figure(ReportPictures.FaceTile(r.Pixels, r.Coords), $"row {f.Id}, score {F(f.Score, "F1")}: {f.Reasons}");
            }
        }
        h.Raw("</section>\n");

        // ---- PCA and adversarial validation
        h.Raw("<section id=\"pca\">\n<h2>PCA of train vs test, adversarial validation</h2>\n<p>").Text(pcaNote).Raw("</p>\n");
        h.Img(pcaPng, "PCA scatter, train vs test");
        h.Raw("</section>\n</body>\n</html>\n");

        return (h.ToString(), new ReportSummary(train.Count, test.Count, full, four, groups.Count, groups.Sum(g => g.Ids.Length),
            flagged.Length, auc, share1, share2));
    }

    private static (byte[] Png, double Auc, double Share1, double Share2, string Note) PcaSection(IReadOnlyList<FaceRow> train, IReadOnlyList<FaceRow> test, ReportParams o)
    {
        // Evenly spaced subsample of each set when large, in proportion.
        var total = train.Count + test.Count;
        var keep = total <= o.MaxRowsForPca ? 1.0 : (double)o.MaxRowsForPca / total;
        static IReadOnlyList<FaceRow> Take(IReadOnlyList<FaceRow> rows, double keep) =>
            keep >= 1 ? rows : Enumerable.Range(0, (int)(rows.Count * keep)).Select(i => rows[(int)(i / keep)]).ToArray();
        var tr = Take(train, keep); var te = Take(test, keep);
        var all = tr.Concat(te).Select(r => Pca.Downsample(r.Pixels, o.PcaSide)).ToArray();
        if (all.Length < 3) return (ReportPictures.PcaScatter([], [], 0, 0), double.NaN, 0, 0, "Too few rows for PCA.");
        var pca = Pca.Fit(all, Math.Max(2, o.Components), seed: o.Seed);
        var proj = all.Select(x => pca.Project(x, Math.Max(2, o.Components))).ToArray();
        var isTest = Enumerable.Range(0, all.Length).Select(i => i >= tr.Count).ToArray();
        var auc = Adversarial.CrossValidatedAuc(proj.Select(p => p.Take(o.Components).ToArray()).ToArray(), isTest, o.Folds, o.Seed);
        var s1 = pca.Variances[0] / pca.TotalVariance; var s2 = pca.Variances[1] / pca.TotalVariance;
        var png = ReportPictures.PcaScatter(proj[..tr.Count], proj[tr.Count..], s1, s2);
        var note = $"PCA of {all.Length} images ({tr.Count} train, {te.Count} test) block-averaged to {o.PcaSide}x{o.PcaSide}; " +
            $"the first two components explain {F(100 * s1, "F1")}% and {F(100 * s2, "F1")}% of the variance. " +
            (double.IsNaN(auc)
                ? "Adversarial validation needs test rows: none given."
                : $"Adversarial validation: logistic regression on the first {o.Components} components, {o.Folds}-fold, tells test from train with ROC AUC {F(auc, "F3")} (0.5 = indistinguishable, 1 = fully separable).");
        return (png, auc, s1, s2, note);
    }

    private static bool IsFourPattern(FaceRow r)
    {
        for (var k = 0; k < Keypoints.Count; k++)
            if (float.IsNaN(r.Coords[2 * k]) == Keypoints.FourKeypointSubset.Contains(k)) return false;
        return true;
    }

    private static (double[] Hist, double Mean, double Sd) Histogram(IReadOnlyList<FaceRow> rows)
    {
        var h = new double[256];
        foreach (var r in rows) foreach (var b in r.Pixels) h[b]++;
        var n = h.Sum();
        double m = 0, m2 = 0;
        for (var i = 0; i < 256; i++) { m += i * h[i]; m2 += (double)i * i * h[i]; }
        m /= Math.Max(1, n); m2 /= Math.Max(1, n);
        for (var i = 0; i < 256; i++) h[i] /= Math.Max(1, n);
        return (h, m, Math.Sqrt(Math.Max(0, m2 - m * m)));
    }

    /// <summary>Largest per-coordinate range (px) among a duplicate group's labels.</summary>
    private static double Spread(DuplicateGroup g, Dictionary<long, FaceRow> byId)
    {
        var rows = g.Ids.Where(byId.ContainsKey).Select(id => byId[id]).ToArray();
        var best = 0.0;
        for (var c = 0; c < Keypoints.CoordCount; c++)
        {
            var v = rows.Select(r => r.Coords[c]).Where(x => !float.IsNaN(x)).ToArray();
            if (v.Length > 1) best = Math.Max(best, v.Max() - v.Min());
        }
        return best;
    }

    private static void Row(Html h, string name, object value) =>
        h.Raw("<tr><td class=\"l\">").Text(name).Raw("</td><td>").Text(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "").Raw("</td></tr>\n");

    private static string F(double v, string fmt) => v.ToString(fmt, CultureInfo.InvariantCulture);

    /// <summary>A tiny HTML writer: text is always escaped, images are data URIs.</summary>
    private sealed class Html
    {
        private readonly StringBuilder _sb = new();
        public Html Raw(string s) { _sb.Append(s); return this; }
        public Html Text(string s) { _sb.Append(WebUtility.HtmlEncode(s)); return this; }
        public Html Img(byte[] png, string alt)
        {
            _sb.Append("<img alt=\"").Append(WebUtility.HtmlEncode(alt)).Append("\" src=\"data:image/png;base64,")
               .Append(Convert.ToBase64String(png)).Append("\" />\n");
            return this;
        }
        public Html Figure(byte[] png, string caption)
        {
            Raw("<figure>");
            Img(png, caption);
            return Raw("<figcaption>").Text(caption).Raw("</figcaption></figure>\n");
        }
        public override string ToString() => _sb.ToString();
    }

    // ---- ReportPictures.MeanFaceWithCloud as it was, on whole rows
    private static SKBitmap Gray(byte[] pixels)
    {
        var bmp = new SKBitmap(Keypoints.ImageSide, Keypoints.ImageSide, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var colors = new SKColor[Keypoints.PixelCount];
        for (var i = 0; i < colors.Length; i++) colors[i] = new SKColor(pixels[i], pixels[i], pixels[i]);
        bmp.Pixels = colors;
        return bmp;
    }

    private static byte[] Encode(SKSurface surface)
    {
        using var img = surface.Snapshot();
        using var data = img.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The mean image with every labelled keypoint of every row as a faint dot, and the per-keypoint means as rings.</summary>
    public static byte[] MeanFaceWithCloud(IReadOnlyList<FaceRow> rows, int scale = 4)
    {
        var mean = new double[Keypoints.PixelCount];
        foreach (var r in rows) for (var i = 0; i < mean.Length; i++) mean[i] += r.Pixels[i];
        var px = mean.Select(v => (byte)Math.Clamp(Math.Round(v / Math.Max(1, rows.Count)), 0, 255)).ToArray();
        var side = Keypoints.ImageSide * scale;
        using var surface = SKSurface.Create(new SKImageInfo(side, side));
        var canvas = surface.Canvas;
        using (var bmp = Gray(px))
        using (var image = SKImage.FromBitmap(bmp))
            canvas.DrawImage(image, new SKRect(0, 0, side, side), new SKSamplingOptions(SKFilterMode.Linear));
        var alpha = (byte)Math.Clamp(4000 / Math.Max(1, rows.Count), 12, 160);
        using var paint = new SKPaint { IsAntialias = true };
        var sums = new double[Keypoints.CoordCount];
        var counts = new int[Keypoints.Count];
        foreach (var r in rows)
            for (var k = 0; k < Keypoints.Count; k++)
            {
                var (x, y) = (r.Coords[2 * k], r.Coords[2 * k + 1]);
                if (float.IsNaN(x) || float.IsNaN(y)) continue;
                paint.Color = FaceImages.ColourOf(k).WithAlpha(alpha);
                canvas.DrawCircle((x + 0.5f) * scale, (y + 0.5f) * scale, 1.6f, paint);
                sums[2 * k] += x; sums[2 * k + 1] += y; counts[k]++;
            }
        paint.Style = SKPaintStyle.Stroke;
        paint.StrokeWidth = 2;
        for (var k = 0; k < Keypoints.Count; k++)
        {
            if (counts[k] == 0) continue;
            paint.Color = SKColors.White;
            canvas.DrawCircle((float)(sums[2 * k] / counts[k] + 0.5) * scale, (float)(sums[2 * k + 1] / counts[k] + 0.5) * scale, 5, paint);
        }
        return Encode(surface);
    }
}
