namespace Fkd.Stages.Stack;

/// <summary>
/// The meta-regressor's features for one face, from several models' predicted coordinates: per model, the
/// coordinates it predicts (all 30 for a full model, the 8 of Kaggle's four keypoints for a <c>four</c> model) as
/// (x − 48)/48, and with <c>pairwise</c> the products of each pair of them: 435 (30C2) for a full model, 28 (8C2)
/// for a four-keypoint one, as the competition's 2nd-place team stacked both kinds. No cross-model products, so
/// the count grows linearly with models. A model predicts a coordinate when any of its out-of-fold rows has it.
/// </summary>
public sealed record StackLayout(StackFeatureSet Features, ImmutableArray<ImmutableArray<int>> Coords)
{
    public int Models => Coords.Length;

    /// <summary>The layout of these out-of-fold predictions (<paramref name="oof"/>[row][model]: 30 coordinates, NaN = not predicted).</summary>
    public static StackLayout Of(IReadOnlyList<IReadOnlyList<float[]>> oof, StackFeatureSet features)
    {
        if (oof.Count == 0) throw new ArgumentException("no out-of-fold rows to lay out");
        var models = oof[0].Count;
        var coords = ImmutableArray.CreateBuilder<ImmutableArray<int>>(models);
        for (var m = 0; m < models; m++)
        {
            var mm = m;
            coords.Add([.. Enumerable.Range(0, Keypoints.CoordCount).Where(c => oof.Any(r => !float.IsNaN(r[mm][c])))]);
        }
        return new StackLayout(features, coords.MoveToImmutable());
    }

    /// <summary>Every model predicting all 30 coordinates: the layout a stack of full models has.</summary>
    public static StackLayout Full(int models, StackFeatureSet features) =>
        new(features, [.. Enumerable.Repeat(ImmutableArray.CreateRange(Enumerable.Range(0, Keypoints.CoordCount)), models)]);

    public int PerModel(int model)
    {
        var n = Coords[model].Length;
        return Features == StackFeatureSet.Pairwise ? n + n * (n - 1) / 2 : n;
    }

    public int Count => Enumerable.Range(0, Models).Sum(PerModel);

    public ImmutableArray<string> Names()
    {
        var b = ImmutableArray.CreateBuilder<string>(Count);
        for (var m = 0; m < Models; m++)
        {
            var cs = Coords[m];
            foreach (var c in cs) b.Add($"m{m}:{Keypoints.Columns[c]}");
            if (Features == StackFeatureSet.Pairwise)
                for (var i = 0; i < cs.Length; i++)
                    for (var j = i + 1; j < cs.Length; j++) b.Add($"m{m}:{Keypoints.Columns[cs[i]]}*{Keypoints.Columns[cs[j]]}");
        }
        return b.MoveToImmutable();
    }

    /// <summary>One feature row; NaN where a model gives no coordinate for this face (filled by the caller).</summary>
    public double[] Row(IReadOnlyList<float[]> perModel)
    {
        if (perModel.Count != Models) throw new ArgumentException($"expected {Models} models' predictions, got {perModel.Count}");
        var row = new double[Count];
        var off = 0;
        for (var m = 0; m < Models; m++)
        {
            var cs = Coords[m];
            for (var i = 0; i < cs.Length; i++) row[off + i] = (perModel[m][cs[i]] - 48.0) / 48.0;
            var k = off + cs.Length;
            if (Features == StackFeatureSet.Pairwise)
                for (var i = 0; i < cs.Length; i++)
                    for (var j = i + 1; j < cs.Length; j++) row[k++] = row[off + i] * row[off + j];
            off = k;
        }
        return row;
    }
}
