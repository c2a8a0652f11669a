namespace Fkd.Stages.Dedup;

/// <summary>
/// Exact-duplicate images (same 128-bit pixel hash) become one row whose label is, per
/// coordinate, the mean of the group's present values. The groups go to groups.csv so a person
/// can see what was merged; with a test table given, images that occur in both are counted.
/// Streams: a first pass over the row groups keeps hashes, ids and labels (<see cref="Duplicates.Plan"/>),
/// a second writes the kept rows a row group at a time; images are never all in memory.
/// </summary>
public sealed class DedupStage() : FaceStage<NoParams>("dedup", 1, "merge exact duplicate images (pixel hash), labels averaged per keypoint", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, NoParams _, CancellationToken ct)
    {
        var input = ctx.Input("faces").Path;
        var labels = new List<RowLabel>();
        var tagsOfRow = new List<ImmutableSortedDictionary<string, long>>();
        await foreach (var group in FaceTable.ReadGroupsAsync(input, ct))
            foreach (var r in group) { labels.Add(new RowLabel(r.Hash, r.Id, r.Coords)); tagsOfRow.Add(r.Tags); }
        var (decisions, groups) = Duplicates.Plan(labels);

        // The columns the whole-table writer made: the tags of the kept rows, plus group_size.
        var tags = Enumerable.Range(0, labels.Count).Where(i => decisions[i].Keep).SelectMany(i => tagsOfRow[i].Keys)
            .Concat(labels.Count > 0 ? ["group_size"] : []).Distinct().Order(StringComparer.Ordinal).ToArray();
        long kept = 0;
        await using (var w = await FaceTable.RowWriter.CreateAsync(ctx.Output("faces.parquet"), tags, MetadataFor(ctx), ct))
        {
            var i = 0;
            await foreach (var group in FaceTable.ReadGroupsAsync(input, ct))
                foreach (var r in group)
                    if (Duplicates.Apply(r, decisions[i++]) is { } row) { await w.AddAsync(row, ct); kept++; }
            await w.CompleteAsync(ct);
        }
        await File.WriteAllTextAsync(ctx.Output("groups.csv"), DuplicateGroups.ToCsv(groups), ct);

        var overlap = 0;
        if (ctx.OptionalInput("test") is { } test)
        {
            var trainHashes = Enumerable.Range(0, labels.Count).Where(i => decisions[i].Keep).Select(i => labels[i].Hash).ToHashSet();
            await foreach (var group in FaceTable.ReadGroupsAsync(test.Path, ct))
                overlap += group.Count(t => trainHashes.Contains(t.Hash));
        }
        ctx.Log.Information("Dedup: {In} rows → {Out} ({Groups} duplicate groups, {Removed} rows merged away); {Overlap} test images also in train",
            labels.Count, kept, groups.Length, labels.Count - kept, overlap);
        return StageOutcome.Of(kept, ("rows_in", labels.Count), ("duplicate_groups", groups.Length),
            ("rows_removed", labels.Count - kept), ("train_test_overlap", overlap));
    }

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("faces", InputShape.File, "face table to deduplicate (e.g. train_rows/faces.parquet)"),
        new("test", InputShape.File, "test face table, to report train-test overlap", Optional: true),
    ];
    private static readonly ImmutableArray<string> Writes = ["faces.parquet", "groups.csv"];
}
