using TorchSharp;
using static TorchSharp.torch;

namespace Fkd.Stages.Torch;

/// <summary>
/// Runs a saved model over images. Results are in pixel units (y * 48 + 48), count * outputs values.
/// Flip TTA also predicts each horizontally flipped image, maps the answer back (x = 95 - x', left
/// and right keypoints swapped by <see cref="Keypoints.FlipPermutation"/>) and averages the two.
/// TTA applies to 30-output models (all 15 keypoints) and to 8-output models, read as the 4-keypoint
/// subset <see cref="Keypoints.FourKeypointSubset"/> (eye centres swap, nose tip and bottom lip stay).
/// For any other output count flip TTA is skipped.
/// </summary>
public static class Predictor
{
    private const int PixelsPerImage = ModelInputs.PixelsPerImage;
    private const int BatchSize = 256;

    /// <summary>Runs the model inside <see cref="TorchGate"/> with <paramref name="threads"/> (0 = all cores).</summary>
    public static float[] Predict(string modelFile, string modelName, int outputs, float[] pixels, int count,
        bool flipTta, ModelOptions o, TorchDevice device = TorchDevice.Auto, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (pixels.Length < (long)count * PixelsPerImage)
            throw new ArgumentException($"pixels holds {pixels.Length} values; {count} images need {(long)count * PixelsPerImage}.");
        var result = new float[(long)count * outputs];
        if (count == 0) return result;

        using var gate = TorchGate.Enter(threads);
        var dev = new Device(TorchRuntime.DeviceName(device));
        var flip = flipTta ? FlipMap(outputs) : null;

        using var model = ModelFactory.Create(modelName, outputs, o);
        Load(model, modelFile, modelName, outputs);
        model.to(dev);
        model.eval();
        using var noGrad = no_grad();
        for (var start = 0; start < count; start += BatchSize)
        {
            var n = Math.Min(BatchSize, count - start);
            using var scope = NewDisposeScope();
            var x = tensor(pixels.AsSpan(start * PixelsPerImage, n * PixelsPerImage).ToArray(), [n, 1, 96, 96]);
            if (dev.type != DeviceType.CPU) x = x.to(dev);
            var plain = model.forward(x).cpu().data<float>().ToArray();
            if (flip is null)
            {
                for (var i = 0; i < plain.Length; i++) result[(long)start * outputs + i] = plain[i] * 48f + 48f;
                continue;
            }
            var mirrored = model.forward(x.flip(3)).cpu().data<float>().ToArray();
            for (var i = 0; i < n; i++)
            {
                var row = i * outputs;
                for (var k = 0; k < outputs / 2; k++)
                {
                    var src = flip[k];
                    var px = plain[row + 2 * k] * 48f + 48f;
                    var py = plain[row + 2 * k + 1] * 48f + 48f;
                    var fx = 95f - (mirrored[row + 2 * src] * 48f + 48f);
                    var fy = mirrored[row + 2 * src + 1] * 48f + 48f;
                    result[(long)(start + i) * outputs + 2 * k] = (px + fx) / 2f;
                    result[(long)(start + i) * outputs + 2 * k + 1] = (py + fy) / 2f;
                }
            }
        }
        return result;
    }

    /// <summary>
    /// <c>module.load</c>, with the file named: TorchSharp reports a file that is not a state dict of this model
    /// (another architecture or output count, random bytes) as <see cref="ArgumentException"/> ("Mismatched
    /// state_dict sizes", "Mismatched module state names", "Mismatched tensor shape / data types"), an empty or
    /// truncated one as <see cref="EndOfStreamException"/>, a garbled string length as <see cref="FormatException"/>;
    /// none of them says which file. A missing file stays <see cref="FileNotFoundException"/>.
    /// </summary>
    private static void Load(nn.Module<Tensor, Tensor> model, string modelFile, string modelName, int outputs)
    {
        try
        {
            model.load(modelFile);
        }
        catch (Exception e) when (e is ArgumentException or EndOfStreamException or FormatException or OverflowException)
        {
            // A garbled file can put kilobytes of binary into a "state name": keep the message readable.
            var inner = e.Message.Length <= 200 ? e.Message : e.Message[..200] + "...";
            throw new InvalidDataException($"{modelFile}: not a {modelName} model with {outputs} outputs saved by this program ({inner})", e);
        }
    }

    /// <summary>
    /// For each output keypoint slot, the slot that holds the same keypoint in the prediction for
    /// the flipped image; null when the output layout is not one flip TTA understands.
    /// </summary>
    public static int[]? FlipMap(int outputs)
    {
        if (outputs == Keypoints.CoordCount) return [.. Keypoints.FlipPermutation];
        var subset = Keypoints.FourKeypointSubset;
        if (outputs == 2 * subset.Length)
        {
            var map = new int[subset.Length];
            for (var s = 0; s < subset.Length; s++)
            {
                var partner = Keypoints.FlipPermutation[subset[s]];
                var slot = subset.IndexOf(partner);
                if (slot < 0) return null;
                map[s] = slot;
            }
            return map;
        }
        return null;
    }
}
