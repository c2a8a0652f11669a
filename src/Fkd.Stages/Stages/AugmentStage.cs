using System.Collections.Immutable;
using System.Globalization;
using Fkd.Flow.Exec;
using Fkd.Flow.Stages;
using Fkd.Stages.Augment;
using Fkd.Stages.Faces;

namespace Fkd.Stages.Stages;

/// <summary>
/// Writes each training face's augmented variants (the recipe in <see cref="AugmentSpec"/>) in
/// parallel through a bounded Dataflow transform, then in a stable order (source row, then variant),
/// so the file's bytes depend only on the inputs and parameters, never on threads. Each row is
/// tagged with its <c>variant</c> index (0 = original when kept).
/// </summary>
public sealed class AugmentStage : FaceStage
{
    public override string Kind => "augment";
    public override int Version => 1;
    public override string Description => "parallel augmentation; keypoints follow every geometric transform";
    public override ImmutableArray<ParamDecl> Params =>
    [
        ParamDecl.Bool("flip", true, "horizontal flip with the left/right keypoint swap"),
        ParamDecl.Floats("rotations", [], "rotation angles in degrees about the image centre"),
        ParamDecl.Floats("shifts", [], "shift magnitudes in px (each gives ±x and ±y)"),
        ParamDecl.Floats("scales", [], "scale factors about the image centre"),
        ParamDecl.Floats("elastic", [], "elastic deformations as alpha,sigma pairs, e.g. [991, 8, 1201, 11]"),
        ParamDecl.Floats("brightness", [], "multiplicative brightness factors (>1 brighten, <1 dim)"),
        ParamDecl.Floats("contrast", [], "contrast stretches: percentile p maps [p, 100-p] to 0..255"),
        ParamDecl.Floats("gamma", [], "gamma exponents"),
        ParamDecl.Float("clahe", 0, "CLAHE clip limit (0 = off; the seeds used 0.03)", min: 0),
        ParamDecl.Floats("noise_sigma", [], "Gaussian noise sigma as a fraction of 255"),
        ParamDecl.Floats("sharpen", [], "sharpen amounts (1 = one 3x3 pass)"),
        ParamDecl.Floats("blur", [], "Gaussian blur sigma in px"),
        ParamDecl.OneOf("mode", "grid", "grid: enumerate variants; random: random draws per image", "grid", "random"),
        ParamDecl.OneOf("combine", "single", "grid only: each option alone (single) or the cartesian product", "single", "product"),
        ParamDecl.Bool("include_original", true, "keep the untouched image"),
        ParamDecl.Int("random_draws", 4, "random mode: variants per image", min: 1),
        ParamDecl.OneOf("out_of_image", "drop", "a variant pushing a labelled keypoint out of the image: drop it or mark the keypoint missing", "drop", "mark-missing"),
        ParamDecl.OneOf("interpolation", "bilinear", "pixel interpolation", "bilinear", "bicubic"),
        ParamDecl.OneOf("rows", "all", "augment all rows, or only rows with all 15 keypoints (others kept as they are)", "all", "full"),
        ParamDecl.Int("seed", 7, "seed of every random choice (with the image hash and variant)"),
        ParamDecl.Int("threads", 0, "worker threads (0 = all cores); does not change the output", min: 0),
    ];
    public override ImmutableArray<InputDecl> Inputs => [new("faces", InputShape.File, "training faces (e.g. split/train.parquet)")];
    public override ImmutableArray<string> Outputs => ["faces.parquet"];

    public static AugmentSpec SpecOf(StageContext ctx)
    {
        var e = ctx.Floats("elastic");
        if (e.Length % 2 != 0) throw new InvalidDataException("augment.elastic: expected alpha,sigma pairs (an even count)");
        double[]? Opt(string n) => ctx.Floats(n) is { Length: > 0 } a ? a : null;
        return new AugmentSpec(
            Flip: ctx.Bool("flip"), Rotations: Opt("rotations"), Shifts: Opt("shifts"), Scales: Opt("scales"),
            Elastic: e.Length == 0 ? null : [.. Enumerable.Range(0, e.Length / 2).Select(i => new ElasticSpec(e[2 * i], e[2 * i + 1]))],
            Brightness: Opt("brightness"), Contrast: Opt("contrast"), Gamma: Opt("gamma"),
            Clahe: ctx.Float("clahe") > 0 ? ctx.Float("clahe") : null, NoiseSigma: Opt("noise_sigma"), Sharpen: Opt("sharpen"), Blur: Opt("blur"),
            Mode: ctx.Str("mode"), Combine: ctx.Str("combine"), IncludeOriginal: ctx.Bool("include_original"), RandomDraws: ctx.Int("random_draws"),
            OutOfImage: ctx.Str("out_of_image"), Interpolation: ctx.Str("interpolation"));
    }

    public override async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken ct)
    {
        var rows = await ReadFaces(ctx, "faces", ct);
        var variants = Recipe.Variants(SpecOf(ctx));
        var seed = ctx.Long("seed");
        var onlyFull = ctx.Str("rows") == "full";
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
        }, new RowFlow.Options(ctx.Int("threads"), 512), ct);

        var output = results.SelectMany(v => v).OfType<FaceRow>().ToList();
        await WriteFaces(ctx, "faces.parquet", output, ct);
        ctx.Log.Information("Augment: {In} faces × {Variants} variants → {Out} rows ({Dropped} variants dropped for keypoints leaving the image, {Marked} keypoints marked missing)",
            rows.Length, variants.Length, output.Count, dropped, marked);
        return StageOutcome.Of(output.Count, ("faces_in", rows.Length), ("variants", variants.Length),
            ("dropped_out_of_image", dropped), ("keypoints_marked_missing", marked));
    }
}
