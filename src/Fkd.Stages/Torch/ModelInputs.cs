namespace Fkd.Stages.Torch;

/// <summary>
/// The one mapping between face rows and what a model sees and says: pixels scaled to [0, 1], targets
/// (y − 48) / 48, and which Kaggle coordinates a model with given targets predicts. Training and
/// prediction both go through here, so they agree to the last bit.
/// </summary>
public static class ModelInputs
{
    public const int PixelsPerImage = Keypoints.PixelCount;

    /// <summary>The centre and the scale of normalised targets, in pixels.</summary>
    public const float Centre = 48f;

    /// <summary>8-bit grey levels to the model's [0, 1] floats.</summary>
    public static void ScalePixels(ReadOnlySpan<byte> grey, Span<float> scaled)
    {
        for (var k = 0; k < grey.Length; k++) scaled[k] = grey[k] * (1f / 255f);
    }

    /// <summary>Pixels / 255 as floats, row after row (the predictor's input).</summary>
    public static float[] Pixels(IReadOnlyList<FaceRow> rows)
    {
        var p = new float[rows.Count * PixelsPerImage];
        for (var i = 0; i < rows.Count; i++)
            ScalePixels(rows[i].Pixels, p.AsSpan(i * PixelsPerImage, PixelsPerImage));
        return p;
    }

    /// <summary>The Kaggle coordinate columns a model with these targets predicts, in output order.</summary>
    public static int[] CoordIndices(TrainTargets targets) => targets == TrainTargets.Four
        ? [.. Keypoints.FourKeypointSubset.SelectMany(k => new[] { 2 * k, 2 * k + 1 })]
        : [.. Enumerable.Range(0, Keypoints.CoordCount)];

    /// <summary>Model outputs (pixels) back to 30 Kaggle coordinates, NaN where the model predicts none.</summary>
    public static float[] ToCoords(ReadOnlySpan<float> outputs, TrainTargets targets)
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
