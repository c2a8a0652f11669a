namespace Fkd.Stages.Dedup;

/// <summary>What dedup needs of a row: its image hash, id and label, not its image.</summary>
public sealed record RowLabel(string Hash, long Id, float[] Coords);

/// <summary>What becomes of one input row: dropped (merged into an earlier row with the same image), or kept with these coordinates and group size.</summary>
public sealed record MergeDecision(bool Keep, float[] Coords, int GroupSize);

/// <summary>The dedup stage's core: rows with byte-identical images merged into one.</summary>
public static class Duplicates
{
    /// <summary>Pure: keeps the first row of each hash (its id and line), with per-coordinate means over the group's present values.</summary>
    public static (ImmutableArray<FaceRow> Rows, ImmutableArray<DuplicateGroup> Groups) Merge(IReadOnlyList<FaceRow> rows)
    {
        var (decisions, groups) = Plan([.. rows.Select(r => new RowLabel(r.Hash, r.Id, r.Coords))]);
        var outRows = ImmutableArray.CreateBuilder<FaceRow>();
        for (var i = 0; i < rows.Count; i++)
            if (Apply(rows[i], decisions[i]) is { } kept) outRows.Add(kept);
        return (outRows.ToImmutable(), groups);
    }

    /// <summary>The row a decision makes of an input row, or null when the row is merged away.</summary>
    public static FaceRow? Apply(FaceRow r, MergeDecision d) =>
        !d.Keep ? null
        : d.GroupSize == 1 ? r.Tag("group_size", 1)
        : r with { Coords = d.Coords, Tags = r.Tags.SetItem("group_size", d.GroupSize) };

    /// <summary>
    /// Pure, on labels only (so a streaming stage holds hashes and labels, never images): one decision per
    /// input row, in input order, and the groups of more than one row in order of first appearance.
    /// </summary>
    public static (ImmutableArray<MergeDecision> Decisions, ImmutableArray<DuplicateGroup> Groups) Plan(IReadOnlyList<RowLabel> rows)
    {
        var order = new List<string>();
        var byHash = new Dictionary<string, List<int>>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (!byHash.TryGetValue(rows[i].Hash, out var list)) { byHash[rows[i].Hash] = list = []; order.Add(rows[i].Hash); }
            list.Add(i);
        }
        var decisions = new MergeDecision?[rows.Count];
        var groups = ImmutableArray.CreateBuilder<DuplicateGroup>();
        var dropped = new MergeDecision(false, [], 0);
        foreach (var h in order)
        {
            var g = byHash[h];
            if (g.Count == 1) { decisions[g[0]] = new MergeDecision(true, rows[g[0]].Coords, 1); continue; }
            var mean = new float[Keypoints.CoordCount];
            for (var c = 0; c < mean.Length; c++)
            {
                double sum = 0; var n = 0;
                foreach (var i in g) if (!float.IsNaN(rows[i].Coords[c])) { sum += rows[i].Coords[c]; n++; }
                mean[c] = n == 0 ? float.NaN : (float)(sum / n);
            }
            decisions[g[0]] = new MergeDecision(true, mean, g.Count);
            for (var k = 1; k < g.Count; k++) decisions[g[k]] = dropped;
            groups.Add(new DuplicateGroup(h, [.. g.Select(i => rows[i].Id)]));
        }
        return ([.. decisions.Select(d => d!)], groups.ToImmutable());
    }
}
