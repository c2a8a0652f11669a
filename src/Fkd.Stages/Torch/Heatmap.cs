using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fkd.Stages.Torch;

/// <summary>
/// One heatmap per keypoint, decoded by soft-argmax: a small encoder-decoder (96 -> 48 -> 24 -> 48, a skip
/// connection at 48) ends in a 1x1 conv giving K = outputs/2 maps of 48x48; each map's softmax is a
/// distribution over its cells and the keypoint is its expected position, mapped to 96x96 pixel-index units
/// and then to the model's normalised outputs ((p − 48) / 48), interleaved x, y as every other model's.
/// So the masked loss in pixels, flip TTA and prediction work unchanged; a missing keypoint gives its map no
/// gradient. None of the seeds tried heatmaps (the Tsinghua write-up's one-hot 96x96 classification is the
/// nearest, and did not train).
/// </summary>
internal sealed class HeatmapNet : Module<Tensor, Tensor>
{
    public const int MapSize = 48;

    private readonly Module<Tensor, Tensor> enc1, enc2, mid, up, dec, maps;

    public HeatmapNet(int outputs) : base("heatmap")
    {
        if (outputs % 2 != 0) throw new ArgumentException($"Heatmaps predict (x, y) pairs; {outputs} outputs is odd.", nameof(outputs));
        enc1 = Sequential(                                                       // 96 -> 48, 32 channels
            ("conv1", Conv2d(1, 16, 3, padding: 1)), ("bn1", new KeptBatchNorm2d(16)), ("relu1", ReLU()),
            ("conv2", Conv2d(16, 32, 3, stride: 2, padding: 1)), ("bn2", new KeptBatchNorm2d(32)), ("relu2", ReLU()));
        enc2 = Sequential(                                                       // 48 -> 24, 64 channels
            ("conv1", Conv2d(32, 32, 3, padding: 1)), ("bn1", new KeptBatchNorm2d(32)), ("relu1", ReLU()),
            ("conv2", Conv2d(32, 64, 3, stride: 2, padding: 1)), ("bn2", new KeptBatchNorm2d(64)), ("relu2", ReLU()));
        mid = Sequential(
            ("conv1", Conv2d(64, 64, 3, padding: 1)), ("bn1", new KeptBatchNorm2d(64)), ("relu1", ReLU()),
            ("conv2", Conv2d(64, 64, 3, padding: 2, dilation: 2)), ("bn2", new KeptBatchNorm2d(64)), ("relu2", ReLU()));
        up = Sequential(("deconv", ConvTranspose2d(64, 32, 2, stride: 2)), ("bn", new KeptBatchNorm2d(32)), ("relu", ReLU()));   // 24 -> 48
        dec = Sequential(
            ("conv1", Conv2d(64, 32, 3, padding: 1)), ("bn1", new KeptBatchNorm2d(32)), ("relu1", ReLU()),
            ("conv2", Conv2d(32, 32, 3, padding: 1)), ("bn2", new KeptBatchNorm2d(32)), ("relu2", ReLU()));
        maps = Conv2d(32, outputs / 2, 1);
        RegisterComponents();
    }

    /// <summary>The raw maps (logits), N x K x 48 x 48.</summary>
    public Tensor Heatmaps(Tensor x)
    {
        var s = enc1.forward(x);
        var u = up.forward(mid.forward(enc2.forward(s)));
        return maps.forward(dec.forward(cat([u, s], 1)));
    }

    public override Tensor forward(Tensor x)
    {
        var px = SoftArgmax.Decode(Heatmaps(x), ModelInputs.Centre * 2);     // N x 2K, pixels of the 96x96 image
        using Scalar centre = ModelInputs.Centre; // explicit, alive until the calls return (see Train/AdamOptimizer)
        return (px - centre) / centre;
    }
}

/// <summary>Soft-argmax: the expected position under each map's softmax.</summary>
public static class SoftArgmax
{
    /// <summary>
    /// Maps N x K x H x W (logits) to N x 2K positions (x, y per map) in pixel-index units of an image
    /// <paramref name="imageSize"/> pixels wide whose pixels the map's cells tile: cell (u, v) covers
    /// s = imageSize / W pixels and its centre is pixel ((u + ½)·s − ½, (v + ½)·s − ½); with s = 1 it is (u, v).
    /// </summary>
    public static Tensor Decode(Tensor logits, double imageSize)
    {
        var n = logits.shape[0];
        var k = logits.shape[1];
        var h = logits.shape[2];
        var w = logits.shape[3];
        var p = functional.softmax(logits.reshape(n, k, h * w), -1).reshape(n, k, h, w);
        var sx = imageSize / w;
        var sy = imageSize / h;
        // Explicit Scalars, alive until each call returns (see Train/AdamOptimizer: an implicit one can be finalized mid-call).
        using Scalar half = 0.5, scaleX = sx, scaleY = sy;
        var xs = KeptScalars.Range(w, logits.dtype, logits.device).Plus(half) * scaleX - half;
        var ys = KeptScalars.Range(h, logits.dtype, logits.device).Plus(half) * scaleY - half;
        var ex = (p.sum(2) * xs).sum(-1);                                      // N x K: marginal over columns
        var ey = (p.sum(3) * ys).sum(-1);                                      // marginal over rows
        return stack([ex, ey], -1).reshape(n, 2 * k);
    }
}
