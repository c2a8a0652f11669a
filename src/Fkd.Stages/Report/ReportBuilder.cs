using System.Globalization;
using Fkd.Stages.Dedup;
using Fkd.Stages.Drawing;

namespace Fkd.Stages.Report;

/// <summary>One flagged or scored row of review.parquet, as the report uses it.</summary>
public sealed record ReviewEntry(long Id, string Hash, double Score, bool Flagged, string Reasons);

/// <summary>The numbers the report shows, for logs and tests.</summary>
public sealed record ReportSummary(int TrainRows, int TestRows, int FullRows, int FourRows, int DuplicateGroups, int DuplicateRows,
    int FlaggedRows, double AdversarialAuc, double Pc1Share, double Pc2Share);

/// <summary>
/// Builds the exploratory data report: one self-contained XHTML-compatible HTML file, every picture
/// an embedded base64 PNG, no scripts and no external resources. Pure, on table digests (no images):
/// the face tiles of the galleries are left in the draft for the rows' images to be fetched and drawn.
/// </summary>
public static class ReportBuilder
{
    public static readonly string[] SectionIds = ["summary", "labels", "sources", "pixels", "meanface", "extremes", "duplicates", "outliers", "pca"];

    public static (ReportDraft Draft, ReportSummary Summary) Draft(
        TableDigest train, TableDigest? test, IReadOnlyList<DuplicateGroup>? groups,
        IReadOnlyList<ReviewEntry>? review, ReportParams o, string title = "Facial keypoints: data report")
    {
        test ??= Empty;
        var h = new ReportHtml();
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
        var rows = train.Rows;
        var labelled = train.Labelled;
        var isFour = train.IsFour;
        var full = labelled.Count(n => n == Keypoints.Count);
        var four = isFour.Count(b => b);
        groups ??= Duplicates.Plan(rows).Groups;
        var flagged = review?.Where(r => r.Flagged).OrderByDescending(r => r.Score).ToArray() ?? [];

        // PCA + adversarial validation
        var (pcaPng, auc, share1, share2, pcaNote) = PcaSection(train.PcaRows, test.PcaRows, o);

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
        var counts = Enumerable.Range(0, Keypoints.Count).Select(k => rows.Count(r => !float.IsNaN(r.Coords[2 * k]) && !float.IsNaN(r.Coords[2 * k + 1]))).ToArray();
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
        var (histTrain, meanTrain, sdTrain) = Histogram(train.GreyCounts);
        var (histTest, meanTest, sdTest) = test.Count > 0 ? Histogram(test.GreyCounts) : (null, double.NaN, double.NaN);
        h.Img(ReportPictures.PixelHistograms(histTrain, histTest), "pixel histograms");
        h.Raw("<p>").Text($"train: mean grey {F(meanTrain, "F1")}, sd {F(sdTrain, "F1")}" +
            (test.Count > 0 ? $"; test: mean grey {F(meanTest, "F1")}, sd {F(sdTest, "F1")}" : "; no test rows")).Raw("</p>\n</section>\n");

        // ---- Mean face with keypoint cloud
        h.Raw("<section id=\"meanface\">\n<h2>Mean face with the keypoint cloud</h2>\n<p>")
         .Text("Mean training image; every labelled keypoint of every row as a faint dot (subject's left green, right red, centre yellow); white rings at the per-keypoint means.")
         .Raw("</p>\n");
        h.Img(ReportPictures.MeanFaceWithCloud(train.PixelSums, [.. rows.Select(r => r.Coords)]), "mean face with keypoint cloud");
        h.Raw("</section>\n");

        // ---- Extremes
        h.Raw("<section id=\"extremes\">\n<h2>Extreme coordinates</h2>\n<p>").Text("Rows with the smallest and largest x and y of a few keypoints (the keypoint ringed in cyan).").Raw("</p>\n");
        foreach (var k in o.ExtremeKeypoints.Where(k => k is >= 0 and < Keypoints.Count))
        {
            var have = Enumerable.Range(0, rows.Length).Where(i => !float.IsNaN(rows[i].Coords[2 * k])).ToArray();
            if (have.Length == 0) continue;
            h.Raw("<div>\n");
            foreach (var (label, axis, max) in new[] { ("min x", 0, false), ("max x", 0, true), ("min y", 1, false), ("max y", 1, true) })
            {
                var i = max ? have.MaxBy(i => rows[i].Coords[2 * k + axis]) : have.MinBy(i => rows[i].Coords[2 * k + axis]);
                var r = rows[i];
                h.Tile(i, r.Coords, $"{Keypoints.Names[k]} {label} = {F(r.Coords[2 * k + axis], "F1")} (row {r.Id})", highlight: k);
            }
            h.Raw("</div>\n");
        }
        h.Raw("</section>\n");

        // ---- Duplicate groups
        // Row indices: the first row of each id, and (below) of each hash, as the galleries show them.
        var byId = FirstRowOf(rows, r => r.Id);
        h.Raw("<section id=\"duplicates\">\n<h2>Duplicate groups</h2>\n<p>")
         .Text($"{groups.Count} groups of byte-identical images ({groups.Sum(g => g.Ids.Length)} rows); showing up to {o.MaxGroups}, the groups whose labels disagree most first.")
         .Raw("</p>\n");
        foreach (var (g, spread) in groups.Select(g => (g, Spread(g, rows, byId))).OrderByDescending(x => x.Item2).Take(o.MaxGroups))
        {
            h.Raw("<div class=\"group\">\n<p>").Text($"hash {g.Hash[..12]}…, {g.Ids.Length} rows, largest label disagreement {F(spread, "F1")} px").Raw("</p>\n");
            foreach (var id in g.Ids)
                if (byId.TryGetValue(id, out var i)) h.Tile(i, rows[i].Coords, $"row {id}");
            h.Raw("</div>\n");
        }
        h.Raw("</section>\n");

        // ---- Outliers
        h.Raw("<section id=\"outliers\">\n<h2>Flagged outliers</h2>\n");
        if (review is null) h.Raw("<p>").Text("No review input (outliers stage) given.").Raw("</p>\n");
        else
        {
            var byHash = FirstRowOf(rows, r => r.Hash);
            h.Raw("<p>").Text($"{flagged.Length} of {review.Count} reviewed rows flagged; highest scores first (up to {o.MaxOutliers}).").Raw("</p>\n");
            foreach (var f in flagged.Take(o.MaxOutliers))
            {
                var i = byId.TryGetValue(f.Id, out var x) && rows[x].Hash == f.Hash ? x : byHash.GetValueOrDefault(f.Hash, -1);
                if (i < 0) continue;
                h.Tile(i, rows[i].Coords, $"row {f.Id}, score {F(f.Score, "F1")}: {f.Reasons}");
            }
        }
        h.Raw("</section>\n");

        // ---- PCA and adversarial validation
        h.Raw("<section id=\"pca\">\n<h2>PCA of train vs test, adversarial validation</h2>\n<p>").Text(pcaNote).Raw("</p>\n");
        h.Img(pcaPng, "PCA scatter, train vs test");
        h.Raw("</section>\n</body>\n</html>\n");

        return (h.ToDraft(), new ReportSummary(train.Count, test.Count, full, four, groups.Count, groups.Sum(g => g.Ids.Length),
            flagged.Length, auc, share1, share2));
    }

    private static readonly TableDigest Empty = new TableDigest.Builder([], 1).ToDigest();

    private static Dictionary<TKey, int> FirstRowOf<TKey>(ImmutableArray<RowLabel> rows, Func<RowLabel, TKey> key) where TKey : notnull
    {
        var first = new Dictionary<TKey, int>();
        for (var i = 0; i < rows.Length; i++) first.TryAdd(key(rows[i]), i);
        return first;
    }

    /// <param name="tr">The block-averaged training images of <see cref="PcaSample"/>'s rows, in row order.</param>
    /// <param name="te">The same of the test rows.</param>
    private static (byte[] Png, double Auc, double Share1, double Share2, string Note) PcaSection(IReadOnlyList<double[]> tr, IReadOnlyList<double[]> te, ReportParams o)
    {
        var all = tr.Concat(te).ToArray();
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

    /// <summary>Shares of the grey levels, their mean and standard deviation, from the counts.</summary>
    private static (double[] Hist, double Mean, double Sd) Histogram(double[] counts)
    {
        var h = (double[])counts.Clone();
        var n = h.Sum();
        double m = 0, m2 = 0;
        for (var i = 0; i < 256; i++) { m += i * h[i]; m2 += (double)i * i * h[i]; }
        m /= Math.Max(1, n); m2 /= Math.Max(1, n);
        for (var i = 0; i < 256; i++) h[i] /= Math.Max(1, n);
        return (h, m, Math.Sqrt(Math.Max(0, m2 - m * m)));
    }

    /// <summary>Largest per-coordinate range (px) among a duplicate group's labels.</summary>
    private static double Spread(DuplicateGroup g, ImmutableArray<RowLabel> train, Dictionary<long, int> byId)
    {
        var rows = g.Ids.Where(byId.ContainsKey).Select(id => train[byId[id]]).ToArray();
        var best = 0.0;
        for (var c = 0; c < Keypoints.CoordCount; c++)
        {
            var v = rows.Select(r => r.Coords[c]).Where(x => !float.IsNaN(x)).ToArray();
            if (v.Length > 1) best = Math.Max(best, v.Max() - v.Min());
        }
        return best;
    }

    private static void Row(ReportHtml h, string name, object value) =>
        h.Raw("<tr><td class=\"l\">").Text(name).Raw("</td><td>").Text(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "").Raw("</td></tr>\n");

    private static string F(double v, string fmt) => v.ToString(fmt, CultureInfo.InvariantCulture);
}
