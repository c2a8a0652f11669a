namespace Fkd.Stages.Dedup;

/// <summary>The dedup stage's core: rows with byte-identical images merged into one.</summary>
public static class Duplicates
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
