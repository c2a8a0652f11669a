using System.Globalization;
using Fkd.Flow.Exec;

namespace Fkd.Stages.Augment;

/// <summary>
/// Writes each training face's augmented variants (the recipe in <see cref="AugmentParams"/>) in
/// parallel through a bounded Dataflow transform, then in a stable order (source row, then variant),
/// so the file's bytes depend only on the inputs and parameters, never on threads. Each row is
/// tagged with its <c>variant</c> index (0 = original when kept).
/// </summary>
public sealed class AugmentStage() : FaceStage<AugmentParams>("augment", 1, "parallel augmentation; keypoints follow every geometric transform", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, AugmentParams p, CancellationToken ct)
    {
        var rows = await ReadFaces(ctx, "faces", ct);
        var variants = Recipe.Variants(p);
        var seed = p.Seed;
        var onlyFull = p.Rows == AugmentRows.Full;
        var results = new FaceRow?[rows.Length][];
        var dropped = 0L;
        var marked = 0L;
        var done = 0L;
        var jobs = Enumerable.Range(0, rows.Length).SelectMany(i =>
            onlyFull && !rows[i].Face.HasAll ? [(Row: i, Variant: -1)] : variants.Select((_, v) => (Row: i, Variant: v)));
        for (var i = 0; i < rows.Length; i++) results[i] = new FaceRow?[onlyFull && !rows[i].Face.HasAll ? 1 : variants.Length];

        await RowFlow.RunAsync(jobs, job =>
        {
            var r = rows[job.Row];
            if (job.Variant < 0) return (job, Outcome: (AugmentOutcome?)null);
            return (job, Outcome: Augmenter.Apply(r.Face, UInt128.Parse(r.Hash, NumberStyles.HexNumber), variants[job.Variant], seed));
        }, res =>
        {
            var r = rows[res.job.Row];
            if (res.Outcome is null) results[res.job.Row][0] = r.Tag("variant", 0);
            else if (res.Outcome.Face is { } f)
            {
                results[res.job.Row][res.job.Variant] = r with { Pixels = f.Pixels, Coords = f.Coords, Tags = r.Tags.SetItem("variant", res.Outcome.VariantIndex) };
                marked += res.Outcome.MarkedMissing;
            }
            else dropped++;
            if (++done % 2000 == 0) ctx.Progress.Report(new StageProgress(done, rows.Length * (double)variants.Length, $"{done:N0} variants"));
        }, new RowFlow.Options(p.Threads, 512), ct);

        var output = results.SelectMany(v => v).OfType<FaceRow>().ToList();
        await WriteFaces(ctx, "faces.parquet", output, ct);
        ctx.Log.Information("Augment: {In} faces × {Variants} variants → {Out} rows ({Dropped} variants dropped for keypoints leaving the image, {Marked} keypoints marked missing)",
            rows.Length, variants.Length, output.Count, dropped, marked);
        return StageOutcome.Of(output.Count, ("faces_in", rows.Length), ("variants", variants.Length),
            ("dropped_out_of_image", dropped), ("keypoints_marked_missing", marked));
    }

    private static readonly ImmutableArray<InputDecl> Reads = [new("faces", InputShape.File, "training faces (e.g. split/train.parquet)")];
    private static readonly ImmutableArray<string> Writes = ["faces.parquet"];
}
