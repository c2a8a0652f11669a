using System.Globalization;
using Fkd.Stages.Dedup;
using Fkd.Stages.Outliers;

namespace Fkd.Stages.Report;

/// <summary>
/// Exploratory data report: one self-contained report.html (pictures embedded as PNG data URIs,
/// no scripts) with label availability, the two-source pattern, pixel histograms, the mean face
/// with the keypoint cloud, galleries of extreme coordinates, duplicate groups and flagged
/// outliers, and a PCA of train vs test with an adversarial-validation ROC AUC. Streams
/// (<see cref="ReportStream"/>): images are never all in memory.
/// </summary>
public sealed class ReportStage() : FaceStage<ReportParams>("eda-report", 1, "self-contained HTML report on the data: labels, sources, pixels, duplicates, outliers, train vs test", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, ReportParams o, CancellationToken ct)
    {
        IReadOnlyList<DuplicateGroup>? groups = ctx.OptionalInput("groups") is { } g ? DuplicateGroups.Read(g.Path) : null;
        ImmutableArray<ReviewEntry>? review = ctx.OptionalInput("review") is { } rv
            ? [.. (await ReviewTable.ReadAsync(rv.Path, ct)).Select(r => new ReviewEntry(r.Id, r.Hash, r.Score, r.Flagged, r.Reasons))]
            : null;
        var run = await ReportStream.RunAsync(ctx.Input("train").Path, ctx.OptionalInput("test")?.Path, groups, review, o, ct);
        var (html, s) = (run.Html, run.Summary);
        await File.WriteAllTextAsync(ctx.Output("report.html"), html, ct);
        ctx.Log.Information("Report: {Train} train rows ({Full} full, {Four} with 4), {Test} test; {Groups} duplicate groups; {Flagged} flagged; adversarial AUC {Auc:F3}",
            s.TrainRows, s.FullRows, s.FourRows, s.TestRows, s.DuplicateGroups, s.FlaggedRows, s.AdversarialAuc);
        ctx.Log.Debug("Report streamed {Groups} row groups; held at most {Held} rows ({Images} gallery images)", run.RowGroupsRead, run.PeakRowsHeld, run.GalleryImages);
        return StageOutcome.Of(s.TrainRows, ("test_rows", s.TestRows), ("full_rows", s.FullRows), ("four_rows", s.FourRows),
            ("duplicate_groups", s.DuplicateGroups), ("flagged", s.FlaggedRows),
            ("adversarial_auc", double.IsNaN(s.AdversarialAuc) ? "n/a" : s.AdversarialAuc.ToString("F3", CultureInfo.InvariantCulture)),
            ("html_bytes", html.Length));
    }

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("train", InputShape.File, "training face table before dedup (e.g. train_rows/faces.parquet)"),
        new("test", InputShape.File, "test face table (e.g. test_rows/faces.parquet)", Optional: true),
        new("groups", InputShape.File, "duplicate groups (dedup/groups.csv); computed from pixel hashes when absent", Optional: true),
        new("review", InputShape.File, "outlier review (outliers/review.parquet)", Optional: true),
    ];
    private static readonly ImmutableArray<string> Writes = ["report.html"];
}
