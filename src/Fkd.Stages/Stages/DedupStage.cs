using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Fkd.Flow.Stages;
using Fkd.Stages.Faces;

namespace Fkd.Stages.Stages;

/// <summary>
/// Exact-duplicate images (same 128-bit pixel hash) become one row whose label is, per
/// coordinate, the mean of the group's present values. The groups go to groups.csv so a person
/// can see what was merged; with a test table given, images that occur in both are counted.
/// </summary>
public sealed class DedupStage : FaceStage
{
    public override string Kind => "dedup";
    public override int Version => 1;
    public override string Description => "merge exact duplicate images (pixel hash), labels averaged per keypoint";
    public override ImmutableArray<ParamDecl> Params => [];
    public override ImmutableArray<InputDecl> Inputs =>
    [
        new("faces", InputShape.File, "face table to deduplicate (e.g. train_rows/faces.parquet)"),
        new("test", InputShape.File, "test face table, to report train-test overlap", Optional: true),
    ];
    public override ImmutableArray<string> Outputs => ["faces.parquet", "groups.csv"];

    public override async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken ct)
    {
        var rows = await ReadFaces(ctx, "faces", ct);
        var (merged, groups) = Dedup.Merge(rows);
        await WriteFaces(ctx, "faces.parquet", merged, ct);

        var sb = new StringBuilder("image_hash,size,ids\n");
        foreach (var g in groups)
            sb.Append(g.Hash).Append(',').Append(g.Ids.Length).Append(',').Append(string.Join(' ', g.Ids)).Append('\n');
        await File.WriteAllTextAsync(ctx.Output("groups.csv"), sb.ToString(), ct);

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
}

/// <summary>A set of rows with byte-identical images.</summary>
public sealed record DuplicateGroup(string Hash, ImmutableArray<long> Ids);

public static class Dedup
{
    /// <summary>Pure: keeps the first row of each hash (its id and line), with per-coordinate means over the group's present values.</summary>
    public static (ImmutableArray<FaceRow> Rows, ImmutableArray<DuplicateGroup> Groups) Merge(IReadOnlyList<FaceRow> rows)
    {
        var order = new List<string>();
        var byHash = new Dictionary<string, List<FaceRow>>();
        foreach (var r in rows)
        {
            if (!byHash.TryGetValue(r.Hash, out var list)) { byHash[r.Hash] = list = []; order.Add(r.Hash); }
            list.Add(r);
        }
        var outRows = ImmutableArray.CreateBuilder<FaceRow>(order.Count);
        var groups = ImmutableArray.CreateBuilder<DuplicateGroup>();
        foreach (var h in order)
        {
            var g = byHash[h];
            if (g.Count == 1) { outRows.Add(g[0].Tag("group_size", 1)); continue; }
            var mean = new float[Keypoints.CoordCount];
            for (var c = 0; c < mean.Length; c++)
            {
                double sum = 0; var n = 0;
                foreach (var r in g) if (!float.IsNaN(r.Coords[c])) { sum += r.Coords[c]; n++; }
                mean[c] = n == 0 ? float.NaN : (float)(sum / n);
            }
            outRows.Add(g[0] with { Coords = mean, Tags = g[0].Tags.SetItem("group_size", g.Count) });
            groups.Add(new DuplicateGroup(h, [.. g.Select(r => r.Id)]));
        }
        return (outRows.ToImmutable(), groups.ToImmutable());
    }
}
