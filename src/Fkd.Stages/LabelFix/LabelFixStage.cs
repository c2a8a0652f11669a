using System.Text;

namespace Fkd.Stages.LabelFix;

/// <summary>
/// Applies label fixes kept as data files: a drop list (<c>image_hash,reason</c> or <c>row,reason</c>)
/// and a fixed-label table (<c>image_hash,keypoint,x,y,reason</c>, keypoint by name or index, or
/// <c>row</c> in place of the hash). Matching by hash survives reordering; row numbers (0-based
/// source rows) are the fallback. A fix that matches nothing is an error: it means the data or the
/// fix list moved. Blank images (pixel standard deviation under <c>blank_std</c>) are dropped too.
/// Every applied fix is logged and written to applied.csv. Streams (<see cref="LabelFixStream"/>): images are
/// never all in memory.
/// </summary>
public sealed class LabelFixStage() : FaceStage<LabelFixParams>("label-fix", 1, "drop listed and blank images, apply a fixed-label table", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, LabelFixParams p, CancellationToken ct)
    {
        var drops = ctx.OptionalInput("drop") is { } d ? FixFiles.ReadDrops(d.Path) : [];
        var fixes = ctx.OptionalInput("fixes") is { } f ? FixFiles.ReadFixes(f.Path) : [];
        var s = await LabelFixStream.RunAsync(ctx.Input("faces").Path, ctx.Output("faces.parquet"), drops, fixes, p.DropBlank ? p.BlankStd : -1, MetadataFor(ctx), ct);
        var result = s.Plan;
        foreach (var a in result.Applied) ctx.Log.Information("Label fix: {Action} {Hash} row {Row}: {Detail}", a.Action, a.Hash[..12], a.Row, a.Detail);
        ctx.Log.Debug("Label fix streamed {GroupsIn} row groups in, {GroupsOut} out; held at most {Held} rows", s.RowGroupsIn, s.RowGroupsOut, s.PeakRowsHeld);
        var sb = new StringBuilder("action,image_hash,row,detail\n");
        foreach (var a in result.Applied) sb.Append($"{a.Action},{a.Hash},{a.Row},\"{a.Detail.Replace("\"", "'")}\"\n");
        await File.WriteAllTextAsync(ctx.Output("applied.csv"), sb.ToString(), ct);
        return StageOutcome.Of(s.RowsOut,
            ("dropped", result.Applied.Count(a => a.Action != "fix")),
            ("dropped_blank", result.Applied.Count(a => a.Action == "drop-blank")),
            ("fixed_keypoints", result.Applied.Count(a => a.Action == "fix")));
    }

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("faces", InputShape.File, "face table (e.g. dedup/faces.parquet)"),
        new("drop", InputShape.File, "CSV of rows to drop: image_hash,reason or row,reason", Optional: true),
        new("fixes", InputShape.File, "CSV of fixed labels: image_hash,keypoint,x,y,reason", Optional: true),
    ];
    private static readonly ImmutableArray<string> Writes = ["faces.parquet", "applied.csv"];
}
