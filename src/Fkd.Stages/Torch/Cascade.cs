using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fkd.Stages.Torch;

/// <summary>
/// A three-level cascade of CNNs after Sun, Wang and Tang (CVPR 2013, the related work of the Tsinghua
/// write-up): level 1 regresses every point from the whole face; level 2 cuts a 25x25 patch around each
/// level-1 estimate (bilinear <c>grid_sample</c>, 1 px apart) and regresses a correction per point; level 3
/// does the same with 15x15 patches around the level-2 estimate. Output = level 1 + correction 2 +
/// correction 3, in the model's normalised units ((y − 48) / 48), trained end to end with the masked loss.
/// Sun et al. train one small net per point and level; here each refining level has one conv trunk shared by
/// all points and a per-point linear head (K x F x 2), so one batched pass serves all K points. The
/// correction heads start at zero, so an untrained cascade answers level 1's estimate; patch centres are
/// detached (a level learns to correct where it looks, not to move where it looks). Odd patch sizes put
/// the estimate on the centre pixel of its patch.
/// </summary>
public sealed class Cascade : Module<Tensor, Tensor>
{
    public const int Patch2 = 25;
    public const int Patch3 = 15;

    private readonly int _points;
    private readonly Module<Tensor, Tensor> level1;
    private readonly Refiner level2, level3;

    public Cascade(int outputs, double dropout) : base("cascade")
    {
        if (outputs % 2 != 0) throw new ArgumentException($"The cascade predicts (x, y) pairs; {outputs} outputs is odd.", nameof(outputs));
        _points = outputs / 2;
        level1 = Level1Net(outputs, dropout);
        level2 = new Refiner(_points, Patch2);
        level3 = new Refiner(_points, Patch3);
        RegisterComponents();
    }

    /// <summary>Level 1 alone: N x outputs.</summary>
    public Tensor Level1(Tensor x) => level1.forward(x);

    /// <summary>The per-point heads of levels 2 and 3 (their weights and biases), for tests that zero them.</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> CorrectionHeads => [level2.HeadWeight, level2.HeadBias, level3.HeadWeight, level3.HeadBias];

    public override Tensor forward(Tensor x)
    {
        var e1 = level1.forward(x);
        var e2 = e1.Plus(level2.Correction(x, e1));
        return e2.Plus(level3.Correction(x, e2));
    }

    /// <summary>
    /// Patches of <paramref name="size"/> x <paramref name="size"/> pixels, 1 px apart, centred on each point:
    /// images N x 1 x 96 x 96, centres N x K x 2 in pixel-index units (x, y; pixel (i, j)'s centre is (i, j));
    /// result (N·K) x 1 x size x size, bilinear, zeros outside the image.
    /// </summary>
    public static Tensor Crop(Tensor images, Tensor centres, int size)
    {
        var n = images.shape[0];
        var k = centres.shape[1];
        var h = images.shape[2];
        var w = images.shape[3];
        // Explicit Scalars, alive until each call returns (see Train/AdamOptimizer: an implicit one can be finalized mid-call).
        using Scalar middle = (size - 1) / 2.0, toGridX = 2.0 / (w - 1), toGridY = 2.0 / (h - 1), one = 1;
        var offsets = KeptScalars.Range(size, images.dtype, images.device) - middle;            // size
        var xs = centres[.., .., 0].unsqueeze(-1).Plus(offsets);                                        // N x K x size
        var ys = centres[.., .., 1].unsqueeze(-1).Plus(offsets);
        // align_corners: -1 and 1 are the centres of the first and last pixel, so pixel index p is 2p/(w-1) - 1.
        var gx = (xs * toGridX - one).unsqueeze(2).expand(n, k, size, size);                 // [n, k, row, col] = x(col)
        var gy = (ys * toGridY - one).unsqueeze(3).expand(n, k, size, size);                 // = y(row)
        var grid = stack([gx, gy], -1).reshape(n * k, size, size, 2);
        var source = images.unsqueeze(1).expand(n, k, images.shape[1], h, w).reshape(n * k, images.shape[1], h, w);
        return functional.grid_sample(source, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: true);
    }

    /// <summary>Normalised targets ((p − 48) / 48) to pixel-index units and back.</summary>
    private static Tensor ToPixels(Tensor normalised)
    {
        using Scalar centre = ModelInputs.Centre;
        return (normalised * centre).Plus(centre);
    }

    /// <summary>A small whole-face regressor: four conv3x3/2 -> BatchNorm -> ReLU blocks (16..128, 96 -> 6), fc 256, fc outputs.</summary>
    private static Module<Tensor, Tensor> Level1Net(int outputs, double p)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int[] filters = [16, 32, 64, 128];
        var inCh = 1;
        for (var b = 0; b < filters.Length; b++)
        {
            layers.Add(($"conv{b + 1}", Conv2d(inCh, filters[b], 3, stride: 2, padding: 1)));
            layers.Add(($"bn{b + 1}", new KeptBatchNorm2d(filters[b])));
            layers.Add(($"relu{b + 1}", ReLU()));
            inCh = filters[b];
        }
        layers.Add(("flatten", Flatten()));
        layers.Add(("drop", Dropout(p)));
        layers.Add(("fc1", Linear(inCh * 6 * 6, 256)));
        layers.Add(("relu_fc", ReLU()));
        layers.Add(("out", Linear(256, outputs)));
        return Sequential(layers);
    }

    /// <summary>One refining level: crop around the estimate, a conv trunk shared by the points, a per-point head.</summary>
    private sealed class Refiner : Module<Tensor, Tensor>
    {
        private const int Features = 64;
        private readonly int _points, _size;
        private readonly Module<Tensor, Tensor> trunk;
        public TorchSharp.Modules.Parameter HeadWeight { get; }
        public TorchSharp.Modules.Parameter HeadBias { get; }

        public Refiner(int points, int size) : base("refiner")
        {
            (_points, _size) = (points, size);
            trunk = Sequential(
                ("conv1", Conv2d(1, 16, 3, padding: 1)), ("bn1", new KeptBatchNorm2d(16)), ("relu1", ReLU()), ("pool1", MaxPool2d(2, ceil_mode: true)),
                ("conv2", Conv2d(16, 32, 3, padding: 1)), ("bn2", new KeptBatchNorm2d(32)), ("relu2", ReLU()), ("pool2", MaxPool2d(2, ceil_mode: true)),
                ("conv3", Conv2d(32, Features, 3, padding: 1)), ("bn3", new KeptBatchNorm2d(Features)), ("relu3", ReLU()),
                ("gap", AdaptiveAvgPool2d(1)), ("flatten", Flatten()));
            HeadWeight = new TorchSharp.Modules.Parameter(zeros(points, Features, 2));
            HeadBias = new TorchSharp.Modules.Parameter(zeros(points, 2));
            register_module("trunk", trunk);
            register_parameter("head_weight", HeadWeight);
            register_parameter("head_bias", HeadBias);
        }

        /// <summary>N x 2K corrections, normalised units, for estimates N x 2K (normalised).</summary>
        public Tensor Correction(Tensor images, Tensor estimate)
        {
            var n = images.shape[0];
            var centres = ToPixels(estimate.detach()).reshape(n, _points, 2);
            var patches = Crop(images, centres, _size);                                    // (N·K) x 1 x s x s
            var f = trunk.forward(patches).reshape(n, _points, Features);                 // N x K x F
            var d = einsum("nkf,kfc->nkc", f, HeadWeight).Plus(HeadBias);                 // N x K x 2
            return d.reshape(n, 2 * _points);
        }

        public override Tensor forward(Tensor x) => throw new NotSupportedException("A refiner needs the estimate: call Correction.");
    }
}
