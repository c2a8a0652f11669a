using System.Text;
using Parquet.Schema;

namespace Fkd.Stages.Outliers;

/// <summary>
/// Flags geometrically implausible labels for a person to review: eyes in the wrong order on the
/// image, mouth above nose, nose above eyes, an eye distance far from the median (robust z), and a
/// keypoint far from the robust mean shape once that shape is fitted to the row by a similarity
/// transform. Every row goes to review.parquet with its numbers, highest score first; the flagged
/// rows also go to review.csv in label-fix's drop-list format (<c>image_hash,reason</c>), so lines
/// can be copied into a drop list. Nothing is removed here. Only labels are kept for the whole table, never the
/// images (<see cref="ReviewAsync"/>).
/// </summary>
public sealed class OutlierStage() : FaceStage<OutlierParams>("outliers", 1, "flag implausible keypoint geometry (order rules, eye distance, Procrustes residual) for review", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, OutlierParams p, CancellationToken ct)
    {
        var (review, checks, imagesHeld) = await ReviewAsync(ctx.Input("faces").Path, p, ct);
        ctx.Log.Debug("Outliers read the faces a row group at a time; held at most {Held} images", imagesHeld);
        await ReviewTable.WriteAsync(ctx.Output("review.parquet"), review, MetadataFor(ctx), ct);
        await File.WriteAllTextAsync(ctx.Output("review.csv"), ReviewTable.DropCsv(review), ct);
        var flagged = review.Count(r => r.Check.Flagged);
        ctx.Log.Information("Outliers: {Flagged} of {Rows} rows flagged for review (top score {Top:F1})", flagged, checks.Length,
            review.Length > 0 ? review[0].Check.Score : 0);
        return StageOutcome.Of(checks.Length, ("flagged", flagged),
            ("eyes_swapped", checks.Count(c => c.Codes.Contains(OutlierScoring.EyesSwapped))),
            ("mouth_above_nose", checks.Count(c => c.Codes.Contains(OutlierScoring.MouthAboveNose))),
            ("nose_above_eyes", checks.Count(c => c.Codes.Contains(OutlierScoring.NoseAboveEyes))),
            ("eye_distance", checks.Count(c => c.Codes.Contains(OutlierScoring.EyeDistance))),
            ("shape", checks.Count(c => c.Codes.Contains(OutlierScoring.Shape))));
    }

    /// <summary>
    /// The review of a face table, highest score first, and each row's checks in input order. The scores
    /// need whole-table statistics (median eye distance, mean shape), so every row's id, hash and label are
    /// kept; the images are read a row group at a time and dropped, so the only images held are one
    /// group's (<c>ImagesHeld</c>: the largest group read).
    /// </summary>
    public static async Task<(ImmutableArray<ReviewRow> Review, ImmutableArray<OutlierCheck> Checks, int ImagesHeld)> ReviewAsync(string faces, OutlierParams p, CancellationToken ct)
    {
        var ids = new List<(long Id, string Hash)>();
        var coords = new List<float[]>();
        var held = 0;
        await foreach (var group in FaceTable.ReadGroupsAsync(faces, ct))
        {
            held = Math.Max(held, group.Length);
            foreach (var r in group) { ids.Add((r.Id, r.Hash)); coords.Add(r.Coords); }
        }
        var checks = OutlierScoring.Score(coords, p);
        var review = ids.Select((r, i) => new ReviewRow(r.Id, r.Hash, checks[i]))
            .OrderByDescending(r => r.Check.Score).ThenBy(r => r.Id).ToImmutableArray();
        return (review, checks, held);
    }

    private static readonly ImmutableArray<InputDecl> Reads = [new("faces", InputShape.File, "face table to review (e.g. labelfix/faces.parquet)")];
    private static readonly ImmutableArray<string> Writes = ["review.parquet", "review.csv"];
}
