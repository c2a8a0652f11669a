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
/// <para>
/// Shift TTA (<c>shiftTta</c> = s &gt; 0) also predicts copies of each image moved by s pixels right, left, down and
/// up (the edge pixels repeated into the gap), each with flip TTA when that is on, subtracts the move from each
/// answer and averages the five. With s = 0 the predictions are those of the image alone, to the bit.
/// </para>
/// </summary>
public static class Predictor
{
    private const int PixelsPerImage = ModelInputs.PixelsPerImage;
    private const int BatchSize = 256;

    /// <summary>Runs the model inside <see cref="TorchGate"/> with <paramref name="threads"/> (0 = all cores).</summary>
    public static float[] Predict(string modelFile, string modelName, int outputs, float[] pixels, int count,
        bool flipTta, ModelOptions o, TorchDevice device = TorchDevice.Auto, int threads = 0, int shiftTta = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (pixels.Length < (long)count * PixelsPerImage)
            throw new ArgumentException($"pixels holds {pixels.Length} values; {count} images need {(long)count * PixelsPerImage}.");
        var result = new float[(long)count * outputs];
        if (count == 0) return result;
        using var loaded = new Loaded(modelFile, modelName, outputs, flipTta, shiftTta, o, device, threads);
        for (var start = 0; start < count; start += BatchSize)
        {
            var n = Math.Min(BatchSize, count - start);
            loaded.Batch(pixels.AsSpan(start * PixelsPerImage, n * PixelsPerImage), n, result.AsSpan(start * outputs, n * outputs));
        }
        return result;
    }

    /// <summary>A model loaded inside the gate, on the thread that made it (torch's thread count and no-grad mode are that thread's).</summary>
    private sealed class Loaded : IDisposable
    {
        private readonly IDisposable _gate;
        private readonly Device _dev;
        private readonly int[]? _flip;
        private readonly nn.Module<Tensor, Tensor> _model;
        private readonly IDisposable _noGrad;
        private readonly int _outputs;
        private readonly (int Dx, int Dy)[] _shifts;

        public Loaded(string modelFile, string modelName, int outputs, bool flipTta, int shiftTta, ModelOptions o, TorchDevice device, int threads)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(shiftTta);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shiftTta, 96);
            _outputs = outputs;
            _shifts = Shifts(shiftTta, outputs);
            _gate = TorchGate.Enter(threads);
            try
            {
                _dev = new Device(TorchRuntime.DeviceName(device));
                _flip = flipTta ? FlipMap(outputs) : null;
                _model = ModelFactory.Create(modelName, outputs, o);
                Load(_model, modelFile, modelName, outputs);
                _model.to(_dev);
                _model.eval();
                _noGrad = no_grad();
            }
            catch
            {
                _model?.Dispose();
                _gate.Dispose();
                throw;
            }
        }

        /// <summary>Predicts <paramref name="n"/> images (scaled pixels) into <paramref name="result"/> (n × outputs, pixel units).</summary>
        public void Batch(ReadOnlySpan<float> pixels, int n, Span<float> result)
        {
            if (_shifts.Length == 1)
            {
                View(pixels, n, result);
                return;
            }
            var moved = new float[n * PixelsPerImage];
            var view = new float[result.Length];
            var sum = new double[result.Length];
            foreach (var (dx, dy) in _shifts)
            {
                Shift(pixels, moved, n, dx, dy);
                View(moved, n, view);
                // Coordinates come in (x, y) pairs: the answer on the moved image, moved back.
                for (var i = 0; i < view.Length; i += 2)
                {
                    sum[i] += view[i] - dx;
                    sum[i + 1] += view[i + 1] - dy;
                }
            }
            for (var i = 0; i < result.Length; i++) result[i] = (float)(sum[i] / _shifts.Length);
        }

        /// <summary>One view of the batch: the model's answer, averaged with the mirrored image's under flip TTA.</summary>
        private void View(ReadOnlySpan<float> pixels, int n, Span<float> result)
        {
            var outputs = _outputs;
            var flip = _flip;
            using var scope = NewDisposeScope();
            var x = tensor(pixels.ToArray(), [n, 1, 96, 96]);
            if (_dev.type != DeviceType.CPU) x = x.to(_dev);
            var plain = _model.forward(x).cpu().data<float>().ToArray();
            if (flip is null)
            {
                for (var i = 0; i < plain.Length; i++) result[i] = plain[i] * 48f + 48f;
                return;
            }
            var mirrored = _model.forward(x.flip(3)).cpu().data<float>().ToArray();
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
                    result[row + 2 * k] = (px + fx) / 2f;
                    result[row + 2 * k + 1] = (py + fy) / 2f;
                }
            }
        }

        public void Dispose()
        {
            _noGrad.Dispose();
            _model.Dispose();
            _gate.Dispose();
        }
    }

    /// <summary>
    /// Predicts images fed one at a time (e.g. from a face table read a row group at a time), cut into the
    /// batches <see cref="Predict"/> cuts from the whole sequence, so the answers are the same to the bit
    /// whatever the input's row groups. Holds one batch of pixels and the outputs (30 floats an image).
    /// The model is loaded at the first full batch (no images: no model read, as <see cref="Predict"/>).
    /// Use it on one thread, and dispose it there.
    /// </summary>
    public sealed class Feed(string modelFile, string modelName, int outputs, bool flipTta, ModelOptions o, TorchDevice device = TorchDevice.Auto, int threads = 0, int shiftTta = 0) : IDisposable
    {
        private readonly float[] _batch = new float[BatchSize * PixelsPerImage];
        private readonly List<float> _results = [];
        private Loaded? _loaded;

        /// <summary>Images waiting for their batch (fewer than a batch).</summary>
        public int Buffered { get; private set; }

        public long Count { get; private set; }

        public void Add(ReadOnlySpan<byte> grey)
        {
            ModelInputs.ScalePixels(grey, _batch.AsSpan(Buffered * PixelsPerImage, PixelsPerImage));
            Buffered++;
            Count++;
            if (Buffered == BatchSize) Run();
        }

        /// <summary>Runs the last, short batch; the outputs of every image fed, count × outputs values in pixels.</summary>
        public float[] Finish()
        {
            if (Buffered > 0) Run();
            return [.. _results];
        }

        private void Run()
        {
            _loaded ??= new Loaded(modelFile, modelName, outputs, flipTta, shiftTta, o, device, threads);
            var res = new float[Buffered * outputs];
            _loaded.Batch(_batch.AsSpan(0, Buffered * PixelsPerImage), Buffered, res);
            _results.AddRange(res);
            Buffered = 0;
        }

        public void Dispose() => _loaded?.Dispose();
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

    /// <summary>The moves shift TTA predicts at: none, or none and s pixels each way along x and y (outputs in (x, y) pairs only).</summary>
    private static (int Dx, int Dy)[] Shifts(int s, int outputs) =>
        s == 0 || outputs % 2 != 0 ? [(0, 0)] : [(0, 0), (s, 0), (-s, 0), (0, s), (0, -s)];

    /// <summary>
    /// <paramref name="n"/> images moved by (dx, dy) pixels: moved[y, x] = image[y − dy, x − dx], a position outside the
    /// image taking the nearest edge pixel.
    /// </summary>
    public static void Shift(ReadOnlySpan<float> pixels, Span<float> moved, int n, int dx, int dy)
    {
        const int side = Keypoints.ImageSide;
        for (var i = 0; i < n; i++)
        {
            var src = pixels.Slice(i * PixelsPerImage, PixelsPerImage);
            var dst = moved.Slice(i * PixelsPerImage, PixelsPerImage);
            for (var y = 0; y < side; y++)
            {
                var row = src.Slice(Math.Clamp(y - dy, 0, side - 1) * side, side);
                for (var x = 0; x < side; x++) dst[y * side + x] = row[Math.Clamp(x - dx, 0, side - 1)];
            }
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
