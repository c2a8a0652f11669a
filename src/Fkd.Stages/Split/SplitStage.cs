namespace Fkd.Stages.Split;

/// <summary>
/// Splits a face table into train and validation and gives every row a fold, assigning by group:
/// the person (from a row→group CSV such as faces-real's train_sources.csv) when given, else the
/// image hash — so near-identical rows never straddle a split. Also tags each row with Kaggle's
/// two-source pattern: <c>labelled</c> = 15 (all keypoints), 4 (exactly the second source's four), or
/// the count otherwise. Streams (<see cref="SplitStream"/>): images are never all in memory.
/// </summary>
public sealed class SplitStage() : FaceStage<SplitParams>("split", 1, "group-aware train/validation split and k-fold assignment; two-source tagging", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, SplitParams p, CancellationToken ct)
    {
        var groups = ctx.OptionalInput("groups") is { } g ? GroupsFile.Read(g.Path, p.GroupColumn) : null;
        var s = await SplitStream.RunAsync(ctx.Input("faces").Path, ctx.Output("train.parquet"), ctx.Output("val.parquet"),
            r => groups is null ? r.Hash : groups.GetValueOrDefault(r.Id) ?? r.Hash, p.ValFraction, p.Folds, p.Seed, MetadataFor(ctx), ct);
        long Count(long n) => s.Labelled.GetValueOrDefault(n);
        var other = s.Train + s.Val - Count(15) - Count(4);
        ctx.Log.Information("Split: {Train} train, {Val} validation; {Full} rows with all 15 keypoints, {Four} with exactly the 4, {Other} in neither",
            s.Train, s.Val, Count(15), Count(4), other);
        ctx.Log.Debug("Split streamed {GroupsIn} row groups; held at most {Held} rows", s.RowGroupsIn, s.PeakRowsHeld);
        return StageOutcome.Of(s.Train + s.Val, ("train", s.Train), ("val", s.Val),
            ("full_rows", Count(15)), ("four_rows", Count(4)), ("other_rows", other), ("grouped_by", groups is null ? "image_hash" : p.GroupColumn));
    }

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("faces", InputShape.File, "face table (e.g. labelfix/faces.parquet)"),
        new("groups", InputShape.File, "CSV with a row column (0-based source row) and a group column", Optional: true),
    ];
    private static readonly ImmutableArray<string> Writes = ["train.parquet", "val.parquet"];
}
