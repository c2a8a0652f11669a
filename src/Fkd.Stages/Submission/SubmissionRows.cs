namespace Fkd.Stages.Submission;

/// <summary>The submission's core: each lookup row takes its own image's predicted value of its own feature.</summary>
public static class SubmissionRows
{
    /// <summary>
    /// RowId → location, clipped to [0, 96] (how many were clipped is counted). A row whose image has no
    /// prediction, or whose model gives no value for that feature, is an error naming the row.
    /// </summary>
    public static (ImmutableArray<(int RowId, float Location)> Rows, int Clipped) Map(
        IReadOnlyList<LookupRow> requests, IReadOnlyDictionary<long, float[]> predictions)
    {
        var rows = ImmutableArray.CreateBuilder<(int, float)>(requests.Count);
        var clipped = 0;
        foreach (var (rowId, imageId, feature) in requests)
        {
            if (!predictions.TryGetValue(imageId, out var p)) throw new InvalidDataException($"lookup row {rowId}: no prediction for ImageId {imageId}");
            var v = p[Keypoints.Columns.IndexOf(feature)];
            if (float.IsNaN(v)) throw new InvalidDataException($"lookup row {rowId}: the model gives no {feature} for ImageId {imageId}");
            var c = Math.Clamp(v, 0f, Keypoints.ImageSide);
            if (c != v) clipped++;
            rows.Add((rowId, c));
        }
        return (rows.MoveToImmutable(), clipped);
    }
}
