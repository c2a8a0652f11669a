using Fkd.Flow.Exec;

namespace Fkd.Stages.Augment;

/// <summary>
/// Writes each training face's augmented variants (the recipe in <see cref="AugmentParams"/>), streaming:
/// the input is read a row group at a time, the variants are made in parallel through bounded Dataflow
/// blocks and written in a stable order (source row, then variant) as they come (<see cref="AugmentStream"/>),
/// so the file's bytes depend only on the inputs and parameters, never on threads, and memory stays at a
/// few row groups whatever the row count. Each row is tagged with its <c>variant</c> index (0 = original when kept).
/// </summary>
public sealed class AugmentStage() : FaceStage<AugmentParams>("augment", 1, "parallel augmentation; keypoints follow every geometric transform", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, AugmentParams p, CancellationToken ct)
    {
        var s = await AugmentStream.RunAsync(ctx.Input("faces").Path, ctx.Output("faces.parquet"), p, MetadataFor(ctx),
            (done, total) => ctx.Progress.Report(new StageProgress(done, total, $"{done:N0} variants")), ct);
        ctx.Log.Information("Augment: {In} faces × {Variants} variants → {Out} rows ({Dropped} variants dropped for keypoints leaving the image, {Marked} keypoints marked missing)",
            s.FacesIn, s.Variants, s.RowsOut, s.Dropped, s.MarkedMissing);
        ctx.Log.Debug("Augment streamed {GroupsIn} row groups in, {GroupsOut} out; held at most {Held} rows ({InputGroups} input groups, {InFlight} variants in flight)",
            s.RowGroupsIn, s.RowGroupsOut, s.PeakRowsHeld, s.MaxInputGroupsHeld, s.MaxVariantsInFlight);
        return StageOutcome.Of(s.RowsOut, ("faces_in", s.FacesIn), ("variants", s.Variants),
            ("dropped_out_of_image", s.Dropped), ("keypoints_marked_missing", s.MarkedMissing));
    }

    private static readonly ImmutableArray<InputDecl> Reads = [new("faces", InputShape.File, "training faces (e.g. split/train.parquet)")];
    private static readonly ImmutableArray<string> Writes = ["faces.parquet"];
}
