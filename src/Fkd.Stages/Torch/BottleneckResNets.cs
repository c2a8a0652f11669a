using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fkd.Stages.Torch;

/// <summary>
/// ResNet of bottleneck blocks (1x1 -> 3x3 -> 1x1, 4x expansion; stages of 64, 128, 256, 512 planes, the
/// first block of stages 2..4 at stride 2) with a 1-channel stem conv7x7/2 (64) -> max-pool 3/2 for 96x96
/// input (96 -> 48 -> 24 -> 24, 12, 6, 3), global average pool, fc outputs.
/// <list type="bullet">
/// <item><c>resnet50-v2</c>: pre-activation blocks (He et al. 2016, "Identity mappings"): BatchNorm -> ReLU
/// before each conv, the projection shortcut taken from the pre-activated input, a final BatchNorm -> ReLU
/// before the pool; [3, 4, 6, 3] blocks; the stem conv has a bias and no BatchNorm (as in Keras'
/// ResNet50V2). 23,574,558 parameters for 30 outputs (the write-up: 23.6 M).</item>
/// <item><c>resnext101</c>: ResNeXt-101 32x8d (Xie et al. 2017): post-activation blocks whose 3x3 conv has
/// 32 groups of 8·(planes/64) channels each, [3, 4, 23, 3] blocks, stem conv -> BatchNorm -> ReLU; torchvision's
/// resnext101_32x8d with a 1-channel stem. 86,797,534 parameters for 30 outputs; the write-up's "241 M"
/// is not this layout (no standard ResNeXt-101 has that many), so no figure is claimed for it.
/// A definition: far too slow to train on a CPU.</item>
/// </list>
/// </summary>
internal sealed class BottleneckResNet : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> stem, layers, tail, fc;

    private BottleneckResNet(string name, int[] blocksPerStage, bool preActivation, int groups, int widthPerGroup, int outputs) : base(name)
    {
        stem = preActivation
            ? Sequential(
                ("conv", Conv2d(1, 64, 7, stride: 2, padding: 3)),
                ("pool", MaxPool2d(3, stride: 2, padding: 1)))
            : Sequential(
                ("conv", Conv2d(1, 64, 7, stride: 2, padding: 3, bias: false)),
                ("bn", new KeptBatchNorm2d(64)),
                ("relu", ReLU()),
                ("pool", MaxPool2d(3, stride: 2, padding: 1)));
        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        var inCh = 64;
        for (var s = 0; s < blocksPerStage.Length; s++)
        {
            var planes = 64 << s;
            var width = planes * widthPerGroup / 64 * groups;
            for (var b = 0; b < blocksPerStage[s]; b++)
            {
                var stride = b == 0 && s > 0 ? 2 : 1;
                blocks.Add(($"l{s + 1}b{b + 1}", preActivation
                    ? new PreActBlock(inCh, width, planes * 4, stride)
                    : new Block(inCh, width, planes * 4, stride, groups)));
                inCh = planes * 4;
            }
        }
        layers = Sequential(blocks);
        tail = preActivation
            ? Sequential(("bn", new KeptBatchNorm2d(inCh)), ("relu", ReLU()), ("pool", AdaptiveAvgPool2d(1)))
            : Sequential(("pool", AdaptiveAvgPool2d(1)));
        fc = Linear(inCh, outputs);
        RegisterComponents();
    }

    public static BottleneckResNet ResNet50V2(int outputs) => new("resnet50-v2", [3, 4, 6, 3], preActivation: true, groups: 1, widthPerGroup: 64, outputs);

    public static BottleneckResNet ResNeXt101(int outputs) => new("resnext101", [3, 4, 23, 3], preActivation: false, groups: 32, widthPerGroup: 8, outputs);

    public override Tensor forward(Tensor x) => fc.forward(tail.forward(layers.forward(stem.forward(x))).flatten(1));

    /// <summary>Post-activation bottleneck (ResNet V1 / ResNeXt), torchvision's layout: stride on the 3x3.</summary>
    private sealed class Block : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2, conv3, bn3, shortcut;

        public Block(int inCh, int width, int outCh, int stride, int groups) : base("bottleneck")
        {
            conv1 = Conv2d(inCh, width, 1, bias: false);
            bn1 = new KeptBatchNorm2d(width);
            conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, groups: groups, bias: false);
            bn2 = new KeptBatchNorm2d(width);
            conv3 = Conv2d(width, outCh, 1, bias: false);
            bn3 = new KeptBatchNorm2d(outCh);
            shortcut = stride != 1 || inCh != outCh
                ? Sequential(("conv", Conv2d(inCh, outCh, 1, stride: stride, bias: false)), ("bn", new KeptBatchNorm2d(outCh)))
                : Identity();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var a = functional.relu(bn1.forward(conv1.forward(x)));
            var b = functional.relu(bn2.forward(conv2.forward(a)));
            return functional.relu(bn3.forward(conv3.forward(b)).Plus(shortcut.forward(x)));
        }
    }

    /// <summary>Pre-activation bottleneck: BN -> ReLU -> 1x1 -> BN -> ReLU -> 3x3 (stride) -> BN -> ReLU -> 1x1, plus the shortcut.</summary>
    private sealed class PreActBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> bn1, conv1, bn2, conv2, bn3, conv3;
        private readonly Module<Tensor, Tensor>? projection;

        public PreActBlock(int inCh, int width, int outCh, int stride) : base("preact_bottleneck")
        {
            bn1 = new KeptBatchNorm2d(inCh);
            conv1 = Conv2d(inCh, width, 1, bias: false);
            bn2 = new KeptBatchNorm2d(width);
            conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, bias: false);
            bn3 = new KeptBatchNorm2d(width);
            conv3 = Conv2d(width, outCh, 1);
            projection = stride != 1 || inCh != outCh ? Conv2d(inCh, outCh, 1, stride: stride) : null;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var pre = functional.relu(bn1.forward(x));
            var shortcut = projection is null ? x : projection.forward(pre);
            var a = functional.relu(bn2.forward(conv1.forward(pre)));
            var b = functional.relu(bn3.forward(conv2.forward(a)));
            return conv3.forward(b).Plus(shortcut);
        }
    }
}
