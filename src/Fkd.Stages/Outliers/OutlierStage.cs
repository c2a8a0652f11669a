using System.Text;
using Parquet.Schema;

namespace Fkd.Stages.Outliers;

/// <summary>
/// Flags geometrically implausible labels for a person to review: eyes in the wrong order on the
/// image, mouth above nose, nose above eyes, an eye distance far from the median (robust z), and a
/// keypoint far from the robust mean shape once that shape is fitted to the row by a similarity
/// transform. Every row goes to review.parquet with its numbers, highest score first; the flagged
/// rows also go to review.csv in label-fix's drop-list format (<c>image_hash,reason</c>), so lines
/// can be copied into a drop list. Nothing is removed here.
/// </summary>
public sealed class OutlierStage() : FaceStage<OutlierParams>("outliers", 1, "flag implausible keypoint geometry (order rules, eye distance, Procrustes residual) for review", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, OutlierParams p, CancellationToken ct)
    {
        var rows = await ReadFaces(ctx, "faces", ct);
        var checks = OutlierScoring.Score(rows.Select(r => r.Coords).ToArray(), p);
        var review = rows.Select((r, i) => new ReviewRow(r.Id, r.Hash, checks[i]))
            .OrderByDescending(r => r.Check.Score).ThenBy(r => r.Id).ToImmutableArray();
        await ReviewTable.WriteAsync(ctx.Output("review.parquet"), review, MetadataFor(ctx), ct);
        await File.WriteAllTextAsync(ctx.Output("review.csv"), ReviewTable.DropCsv(review), ct);
        var flagged = review.Count(r => r.Check.Flagged);
        ctx.Log.Information("Outliers: {Flagged} of {Rows} rows flagged for review (top score {Top:F1})", flagged, rows.Length,
            review.Length > 0 ? review[0].Check.Score : 0);
        return StageOutcome.Of(rows.Length, ("flagged", flagged),
            ("eyes_swapped", checks.Count(c => c.Codes.Contains(OutlierScoring.EyesSwapped))),
            ("mouth_above_nose", checks.Count(c => c.Codes.Contains(OutlierScoring.MouthAboveNose))),
            ("nose_above_eyes", checks.Count(c => c.Codes.Contains(OutlierScoring.NoseAboveEyes))),
            ("eye_distance", checks.Count(c => c.Codes.Contains(OutlierScoring.EyeDistance))),
            ("shape", checks.Count(c => c.Codes.Contains(OutlierScoring.Shape))));
    }

    private static readonly ImmutableArray<InputDecl> Reads = [new("faces", InputShape.File, "face table to review (e.g. labelfix/faces.parquet)")];
    private static readonly ImmutableArray<string> Writes = ["review.parquet", "review.csv"];
}
