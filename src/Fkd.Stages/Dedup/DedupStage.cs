namespace Fkd.Stages.Dedup;

/// <summary>
/// Exact-duplicate images (same 128-bit pixel hash) become one row whose label is, per
/// coordinate, the mean of the group's present values. The groups go to groups.csv so a person
/// can see what was merged; with a test table given, images that occur in both are counted.
/// </summary>
public sealed class DedupStage() : FaceStage<NoParams>("dedup", 1, "merge exact duplicate images (pixel hash), labels averaged per keypoint", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, NoParams _, CancellationToken ct)
    {
        var rows = await ReadFaces(ctx, "faces", ct);
        var (merged, groups) = Duplicates.Merge(rows);
        await WriteFaces(ctx, "faces.parquet", merged, ct);
        await File.WriteAllTextAsync(ctx.Output("groups.csv"), DuplicateGroups.ToCsv(groups), ct);

        var overlap = 0;
        if (ctx.OptionalInput("test") is not null)
        {
            var test = await ReadFaces(ctx, "test", ct);
            var trainHashes = merged.Select(r => r.Hash).ToHashSet();
            overlap = test.Count(t => trainHashes.Contains(t.Hash));
        }
        ctx.Log.Information("Dedup: {In} rows → {Out} ({Groups} duplicate groups, {Removed} rows merged away); {Overlap} test images also in train",
            rows.Length, merged.Length, groups.Length, rows.Length - merged.Length, overlap);
        return StageOutcome.Of(merged.Length, ("rows_in", rows.Length), ("duplicate_groups", groups.Length),
            ("rows_removed", rows.Length - merged.Length), ("train_test_overlap", overlap));
    }

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("faces", InputShape.File, "face table to deduplicate (e.g. train_rows/faces.parquet)"),
        new("test", InputShape.File, "test face table, to report train-test overlap", Optional: true),
    ];
    private static readonly ImmutableArray<string> Writes = ["faces.parquet", "groups.csv"];
}
