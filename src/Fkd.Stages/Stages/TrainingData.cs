using Fkd.Stages.Faces;
using Fkd.Stages.Training;

namespace Fkd.Stages.Stages;

/// <summary>Face rows to the flat arrays the trainer and predictor take, and back.</summary>
public static class TrainingData
{
    public const float Centre = 48f;

    /// <summary>Pixels as stored (bytes); targets (y − 48)/48, NaN where missing. targets "four" keeps only the 8 subset coordinates.</summary>
    public static TrainingSet ToSet(IReadOnlyList<FaceRow> rows, string targets)
    {
        var coords = CoordIndices(targets);
        var pixels = new byte[rows.Count * Keypoints.PixelCount];
        for (var i = 0; i < rows.Count; i++) rows[i].Pixels.CopyTo(pixels, i * Keypoints.PixelCount);
        var t = new float[rows.Count * coords.Length];
        for (var i = 0; i < rows.Count; i++)
            for (var j = 0; j < coords.Length; j++)
                t[i * coords.Length + j] = (rows[i].Coords[coords[j]] - Centre) / Centre;
        return new TrainingSet(rows.Count, pixels, t);
    }

    /// <summary>Pixels / 255 as floats, row after row (the predictor's input).</summary>
    public static float[] Pixels(IReadOnlyList<FaceRow> rows)
    {
        var p = new float[rows.Count * Keypoints.PixelCount];
        for (var i = 0; i < rows.Count; i++)
            TrainingSet.ScalePixels(rows[i].Pixels, p.AsSpan(i * Keypoints.PixelCount, Keypoints.PixelCount));
        return p;
    }

    /// <summary>The Kaggle coordinate columns a model with these targets predicts, in output order.</summary>
    public static int[] CoordIndices(string targets) => targets == "four"
        ? [.. Keypoints.FourKeypointSubset.SelectMany(k => new[] { 2 * k, 2 * k + 1 })]
        : [.. Enumerable.Range(0, Keypoints.CoordCount)];

    /// <summary>Model outputs (pixels) back to 30 Kaggle coordinates, NaN where the model predicts none.</summary>
    public static float[] ToCoords(ReadOnlySpan<float> outputs, string targets)
    {
        var idx = CoordIndices(targets);
        var c = Face.MissingCoords();
        for (var j = 0; j < idx.Length; j++) c[idx[j]] = outputs[j];
        return c;
    }

    public static long ParameterCount(string model, int outputs, ModelOptions o)
    {
        using var m = ModelFactory.Create(model, outputs, o);
        return ModelFactory.ParameterCount(m);
    }
}
