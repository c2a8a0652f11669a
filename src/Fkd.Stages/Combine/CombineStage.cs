namespace Fkd.Stages.Combine;

/// <summary>
/// The two-path answer to partial labels: a 30-output model trained on the fully labelled rows
/// (targets=full) and an 8-output model trained on every row that has the 4 common keypoints
/// (targets=four). The 4 subset keypoints (eye centres, nose tip, bottom lip) come from the
/// <c>four</c> predictions, the other 11 from <c>full</c>; or, by <c>four_keypoints</c>, the mean of
/// both or the <c>full</c> values alone. Both tables must hold the same ids.
/// </summary>
public sealed class CombineStage() : FaceStage<CombineParams>("combine-predictions", 1, "two-path predictions: the 4 common keypoints from a 'four' model, the other 11 from a 'full' model", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, CombineParams p, CancellationToken ct)
    {
        var full = await PredictionTable.ReadAsync(ctx.Input("full").Path, ct);
        var four = await PredictionTable.ReadAsync(ctx.Input("four").Path, ct);
        var combined = Combine(full, four, p.FourKeypoints);
        await PredictionTable.WriteAsync(ctx.Output("predictions.parquet"), combined, MetadataFor(ctx), ct);
        return StageOutcome.Of(combined.Length);
    }

    /// <summary>
    /// Rows in the order of <paramref name="full"/>. Subset coordinates: by mode; where the chosen
    /// source has no value (NaN) the other one is used, and "average" averages only what is there.
    /// Throws <see cref="InvalidDataException"/> when the id sets differ (listing the ids missing on
    /// either side), when an id repeats, or when the two rows of an id name different images.
    /// </summary>
    public static ImmutableArray<Prediction> Combine(IReadOnlyList<Prediction> full, IReadOnlyList<Prediction> four, FourKeypointsFrom mode)
    {
        var fourById = Index(four, "four");
        var fullById = Index(full, "full");
        var notInFour = full.Select(p => p.Id).Where(id => !fourById.ContainsKey(id)).ToList();
        var notInFull = four.Select(p => p.Id).Where(id => !fullById.ContainsKey(id)).ToList();
        if (notInFour.Count > 0 || notInFull.Count > 0)
            throw new InvalidDataException("the full and four predictions hold different ids: " + string.Join("; ",
                new[] { notInFour.Count > 0 ? $"missing from four: {Ids(notInFour)}" : null,
                        notInFull.Count > 0 ? $"missing from full: {Ids(notInFull)}" : null }.OfType<string>()));

        var subset = Keypoints.FourKeypointSubset.SelectMany(k => new[] { 2 * k, 2 * k + 1 }).ToArray();
        var res = ImmutableArray.CreateBuilder<Prediction>(full.Count);
        foreach (var f in full)
        {
            var g = fourById[f.Id];
            if (!string.Equals(f.Hash, g.Hash, StringComparison.Ordinal))
                throw new InvalidDataException($"id {f.Id}: the full and four predictions are of different images ({f.Hash} vs {g.Hash})");
            var coords = (float[])f.Coords.Clone();
            foreach (var c in subset) coords[c] = Pick(f.Coords[c], g.Coords[c], mode);
            res.Add(new Prediction(f.Id, f.Hash, coords));
        }
        return res.MoveToImmutable();
    }

    private static float Pick(float full, float four, FourKeypointsFrom mode)
    {
        if (float.IsNaN(four)) return full;
        if (float.IsNaN(full)) return four;
        return mode switch
        {
            FourKeypointsFrom.FromFour => four,
            FourKeypointsFrom.FromFull => full,
            _ => (full + four) / 2f,
        };
    }

    private static Dictionary<long, Prediction> Index(IReadOnlyList<Prediction> rows, string name)
    {
        var d = new Dictionary<long, Prediction>(rows.Count);
        foreach (var p in rows)
            if (!d.TryAdd(p.Id, p)) throw new InvalidDataException($"the {name} predictions hold id {p.Id} more than once");
        return d;
    }

    private static string Ids(List<long> ids) =>
        string.Join(", ", ids.Take(20)) + (ids.Count > 20 ? $" and {ids.Count - 20} more" : "");

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("full", InputShape.File, "predictions of a 30-output model trained with targets=full"),
        new("four", InputShape.File, "predictions of an 8-output model trained with targets=four"),
    ];
    private static readonly ImmutableArray<string> Writes = ["predictions.parquet"];
}
