using Fkd.Stages.Torch;

namespace Fkd.Stages.Train;

/// <summary>Face rows to the arrays the trainer takes.</summary>
public static class TrainingData
{
    /// <summary>Pixels as stored (bytes); targets (y − 48)/48, NaN where missing. Targets "four" keeps only the 8 subset coordinates.</summary>
    public static TrainingSet ToSet(IReadOnlyList<FaceRow> rows, TrainTargets targets)
    {
        var coords = ModelInputs.CoordIndices(targets);
        var pixels = new byte[rows.Count * Keypoints.PixelCount];
        for (var i = 0; i < rows.Count; i++) rows[i].Pixels.CopyTo(pixels, i * Keypoints.PixelCount);
        var t = new float[rows.Count * coords.Length];
        for (var i = 0; i < rows.Count; i++)
            for (var j = 0; j < coords.Length; j++)
                t[i * coords.Length + j] = (rows[i].Coords[coords[j]] - ModelInputs.Centre) / ModelInputs.Centre;
        return new TrainingSet(rows.Count, pixels, t);
    }

    /// <summary>Rows whose <c>fold</c> tag differs from <paramref name="fold"/> (all rows when it is negative); the table must carry fold tags.</summary>
    public static IReadOnlyList<FaceRow> HoldOut(IReadOnlyList<FaceRow> rows, int fold)
    {
        if (fold < 0) return rows;
        if (rows.Count > 0 && rows.All(r => !r.Tags.ContainsKey("fold")))
            throw new InvalidDataException("holdout_fold needs rows tagged with 'fold' (the split stage's train.parquet, or augment of it)");
        return [.. rows.Where(r => r.TagOr("fold", -1) != fold)];
    }

    /// <summary>The rows a model with these targets learns from: some label (masked), all 15 keypoints (full), the 4 subset keypoints (four).</summary>
    public static List<FaceRow> Select(IEnumerable<FaceRow> rows, TrainTargets targets) => targets switch
    {
        TrainTargets.Full => rows.Where(r => r.Face.HasAll).ToList(),
        TrainTargets.Four => rows.Where(r => Keypoints.FourKeypointSubset.All(k => !float.IsNaN(r.Coords[2 * k]) && !float.IsNaN(r.Coords[2 * k + 1]))).ToList(),
        _ => rows.Where(r => r.Face.LabelledKeypoints > 0).ToList(),
    };
}
