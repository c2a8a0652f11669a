using System.Collections.Immutable;
using System.Globalization;
using Fkd.Flow.Stages;
using Fkd.Stages.Faces;
using Fkd.Stages.Report;

namespace Fkd.Stages.Stages;

/// <summary>
/// Exploratory data report: one self-contained report.html (pictures embedded as PNG data URIs,
/// no scripts) with label availability, the two-source pattern, pixel histograms, the mean face
/// with the keypoint cloud, galleries of extreme coordinates, duplicate groups and flagged
/// outliers, and a PCA of train vs test with an adversarial-validation ROC AUC.
/// </summary>
public sealed class ReportStage : FaceStage
{
    public override string Kind => "eda-report";
    public override int Version => 1;
    public override string Description => "self-contained HTML report on the data: labels, sources, pixels, duplicates, outliers, train vs test";
    public override ImmutableArray<ParamDecl> Params =>
    [
        ParamDecl.Int("pca_side", 24, "images are block-averaged to this side before PCA (must divide 96)", min: 4, max: 96),
        ParamDecl.Int("components", 10, "PCA components the adversarial classifier sees", min: 2, max: 50),
        ParamDecl.Int("folds", 5, "folds of the adversarial validation", min: 2, max: 20),
        ParamDecl.Int("seed", 1, "seed of PCA start vectors and fold assignment"),
        ParamDecl.Int("max_rows_for_pca", 6000, "rows (train + test, evenly subsampled) used for PCA and adversarial validation", min: 10),
        ParamDecl.Int("max_groups", 8, "duplicate groups shown", min: 0),
        ParamDecl.Int("max_outliers", 24, "flagged outliers shown", min: 0),
        ParamDecl.Ints("extreme_keypoints", [0, 10, 14], "keypoints (Kaggle index) whose min/max x and y rows are shown"),
    ];
    public override ImmutableArray<InputDecl> Inputs =>
    [
        new("train", InputShape.File, "training face table before dedup (e.g. train_rows/faces.parquet)"),
        new("test", InputShape.File, "test face table (e.g. test_rows/faces.parquet)", Optional: true),
        new("groups", InputShape.File, "duplicate groups (dedup/groups.csv); computed from pixel hashes when absent", Optional: true),
        new("review", InputShape.File, "outlier review (outliers/review.parquet)", Optional: true),
    ];
    public override ImmutableArray<string> Outputs => ["report.html"];

    public override async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken ct)
    {
        if (Keypoints.ImageSide % ctx.Int("pca_side") != 0)
            throw new InvalidDataException($"pca_side: expected a divisor of {Keypoints.ImageSide}, found {ctx.Int("pca_side")}");
        var train = await ReadFaces(ctx, "train", ct);
        var test = ctx.OptionalInput("test") is not null ? await ReadFaces(ctx, "test", ct) : ImmutableArray<FaceRow>.Empty;
        IReadOnlyList<DuplicateGroup>? groups = ctx.OptionalInput("groups") is { } g ? ReadGroups(g.Path) : null;
        ImmutableArray<ReviewEntry>? review = ctx.OptionalInput("review") is { } rv
            ? [.. (await ReviewTable.ReadAsync(rv.Path, ct)).Select(r => new ReviewEntry(r.Id, r.Hash, r.Score, r.Flagged, r.Reasons))]
            : null;
        var o = new ReportOptions(ctx.Int("pca_side"), ctx.Int("components"), ctx.Int("folds"), ctx.Int("seed"),
            ctx.Int("max_rows_for_pca"), ctx.Int("max_groups"), ctx.Int("max_outliers"), ctx.Ints("extreme_keypoints"));
        var (html, s) = ReportBuilder.Build(train, test, groups, review, o);
        await File.WriteAllTextAsync(ctx.Output("report.html"), html, ct);
        ctx.Log.Information("Report: {Train} train rows ({Full} full, {Four} with 4), {Test} test; {Groups} duplicate groups; {Flagged} flagged; adversarial AUC {Auc:F3}",
            s.TrainRows, s.FullRows, s.FourRows, s.TestRows, s.DuplicateGroups, s.FlaggedRows, s.AdversarialAuc);
        return StageOutcome.Of(s.TrainRows, ("test_rows", s.TestRows), ("full_rows", s.FullRows), ("four_rows", s.FourRows),
            ("duplicate_groups", s.DuplicateGroups), ("flagged", s.FlaggedRows),
            ("adversarial_auc", double.IsNaN(s.AdversarialAuc) ? "n/a" : s.AdversarialAuc.ToString("F3", CultureInfo.InvariantCulture)),
            ("html_bytes", html.Length));
    }

    /// <summary>Reads dedup's groups.csv: image_hash,size,ids (ids space-separated).</summary>
    public static ImmutableArray<DuplicateGroup> ReadGroups(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || !lines[0].StartsWith("image_hash,size,ids", StringComparison.Ordinal))
            throw new InvalidDataException($"{Path.GetFileName(path)}:1:1: header: expected image_hash,size,ids");
        var res = ImmutableArray.CreateBuilder<DuplicateGroup>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(',');
            if (f.Length != 3) throw new InvalidDataException($"{Path.GetFileName(path)}:{i + 1}:1: expected 3 fields, found {f.Length}");
            res.Add(new DuplicateGroup(f[0], [.. f[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture))]));
        }
        return res.ToImmutable();
    }
}
