using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fkd.Stages.Torch;

/// <summary>Options that shape a model (not its training).</summary>
public sealed record ModelOptions(double Dropout = 0.1);

/// <summary>
/// Builds the keypoint regressors by name. Every model takes N x 1 x 96 x 96 floats (pixels/255)
/// and returns N x outputs normalised coordinates ((y - 48) / 48). Module names are fixed, so a
/// file written by <c>module.save</c> loads into a model built with the same name and outputs.
/// </summary>
public static class ModelFactory
{
    public const string Default = "cnn-small";
    public static readonly IReadOnlyList<string> Names = ["mlp", "lenet5", "cnn-small", "conv5", "conv10", "naimishnet", "resnet18", "resnet34",
        "lenet5-seed", "conv5-seed", "local2d5", "inception-v1", "inception-v3", "resnet50-v2", "resnext101", "cascade", "heatmap", "cnn-medium", "cnn-wide"];

    public static Module<Tensor, Tensor> Create(string name, int outputs, ModelOptions o)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        var p = Math.Clamp(o.Dropout, 0.0, 0.95);
        return (name ?? "").Trim().ToLowerInvariant() switch
        {
            "mlp" => Mlp(outputs, p),
            "lenet5" => LeNet5(outputs),
            "cnn-small" => CnnSmall(outputs, p),
            "conv5" => ConvNet(outputs, p, convsPerBlock: 1, "conv5"),
            "conv10" => ConvNet(outputs, p, convsPerBlock: 2, "conv10"),
            "naimishnet" => NaimishNet(outputs),
            "resnet18" => new ResNet("resnet18", [2, 2, 2, 2], outputs),
            "resnet34" => new ResNet("resnet34", [3, 4, 6, 3], outputs),
            "lenet5-seed" => SeedModels.LeNet5(outputs),
            "conv5-seed" => SeedModels.ConvNet5(outputs),
            "local2d5" => SeedModels.Local2D5(outputs),
            "inception-v1" => new InceptionV1(outputs),
            "inception-v3" => new InceptionV3(outputs),
            "resnet50-v2" => BottleneckResNet.ResNet50V2(outputs),
            "resnext101" => BottleneckResNet.ResNeXt101(outputs),
            "cascade" => new Cascade(outputs, p),
            "heatmap" => new HeatmapNet(outputs),
            "cnn-medium" => CnnSmall(outputs, p, deeper: true),
            "cnn-wide" => CnnSmall(outputs, p, deeper: true, width: 2),
            _ => throw new ArgumentException($"Unknown model '{name}' (expected one of {string.Join(", ", Names)}).", nameof(name)),
        };
    }

    public static long ParameterCount(Module<Tensor, Tensor> model) =>
        model.parameters().Sum(t => t.numel());

    /// <summary>One hidden layer of 256 units (the classic baseline).</summary>
    private static Module<Tensor, Tensor> Mlp(int outputs, double p) => Sequential(
        ("flatten", Flatten()),
        ("fc1", Linear(96 * 96, 256)),
        ("relu1", ReLU()),
        ("drop1", Dropout(p)),
        ("out", Linear(256, outputs)));

    /// <summary>LeNet-5 shape on 96x96: conv5x5(6) pool conv5x5(16) pool, fc 120, 84.</summary>
    private static Module<Tensor, Tensor> LeNet5(int outputs) => Sequential(
        ("conv1", Conv2d(1, 6, 5)), ("relu1", ReLU()), ("pool1", MaxPool2d(2)),   // 92 -> 46
        ("conv2", Conv2d(6, 16, 5)), ("relu2", ReLU()), ("pool2", MaxPool2d(2)),  // 42 -> 21
        ("flatten", Flatten()),
        ("fc1", Linear(16 * 21 * 21, 120)), ("relu3", ReLU()),
        ("fc2", Linear(120, 84)), ("relu4", ReLU()),
        ("out", Linear(84, outputs)));

    /// <summary>
    /// The default, built for speed on a couple of CPU cores: four conv blocks (conv3x3 at stride 2,
    /// LeakyReLU, BatchNorm) with 16, 32, 64, 128 filters taking 96 down to 6, then
    /// dropout -> fc 256 -> LeakyReLU -> dropout -> fc outputs. About 9.5 M multiply-adds per image.
    /// <para>
    /// <paramref name="deeper"/> (cnn-medium): more depth where it is cheap. After the stride-2 conv that brings 48 to
    /// 24, 24 to 12 and 12 to 6, a conv3x3 at stride 1 on the same filters (LeakyReLU, BatchNorm), so each level
    /// sees 5x5 of the level below instead of 3x3: about 25 M multiply-adds per image (2.7x) for 0.19 M more
    /// parameters. On real faces cnn-small's training loss stays as high as its validation error, so it is short
    /// of capacity rather than of data.
    /// </para>
    /// <para>
    /// <paramref name="width"/> multiplies every conv's filters (cnn-wide: cnn-medium with 32, 64, 128, 256; about 4x
    /// the multiply-adds, since cnn-medium's validation error on real faces still stays well above its training loss's).
    /// </para>
    /// </summary>
    private static Module<Tensor, Tensor> CnnSmall(int outputs, double p, bool deeper = false, int width = 1)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int[] filters = [16 * width, 32 * width, 64 * width, 128 * width];
        var inCh = 1;
        for (var b = 0; b < filters.Length; b++)
        {
            var n = b + 1;
            layers.Add(($"conv{n}", Conv2d(inCh, filters[b], 3, stride: 2, padding: 1)));  // 48, 24, 12, 6
            layers.Add(($"act{n}", new LeakyRelu(0.01)));
            layers.Add(($"bn{n}", new KeptBatchNorm2d(filters[b])));
            if (deeper && b > 0)
            {
                layers.Add(($"conv{n}b", Conv2d(filters[b], filters[b], 3, padding: 1)));
                layers.Add(($"act{n}b", new LeakyRelu(0.01)));
                layers.Add(($"bn{n}b", new KeptBatchNorm2d(filters[b])));
            }
            inCh = filters[b];
        }
        layers.Add(("flatten", Flatten()));
        layers.Add(("drop_fc", Dropout(p)));
        layers.Add(("fc1", Linear(inCh * 6 * 6, 256)));
        layers.Add(("act_fc", new LeakyRelu(0.01)));
        layers.Add(("drop_out", Dropout(p)));
        layers.Add(("out", Linear(256, outputs)));
        return Sequential(layers);
    }

    /// <summary>
    /// NaimishNet (Agarwal, Krohn-Grimberghe and Vyas, 2017), adapted to 96x96 one-channel input:
    /// four blocks of conv (kernel 4, 3, 2, 1; 32, 64, 128, 256 filters, no padding) -> ELU ->
    /// max-pool 2 -> dropout 0.1, 0.2, 0.3, 0.4, taking 96 down to 5x5; then fc 1000 -> ELU ->
    /// dropout 0.5 -> fc 1000 (linear) -> dropout 0.6 -> fc outputs, as in the paper. The dropout
    /// rates are the paper's fixed schedule; the model option is not used.
    /// </summary>
    private static Module<Tensor, Tensor> NaimishNet(int outputs)
    {
        int[] filters = [32, 64, 128, 256];
        int[] kernels = [4, 3, 2, 1];
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        var inCh = 1;
        var size = 96;
        for (var b = 0; b < filters.Length; b++)
        {
            var n = b + 1;
            layers.Add(($"conv{n}", Conv2d(inCh, filters[b], kernels[b])));
            layers.Add(($"elu{n}", new Elu()));
            layers.Add(($"pool{n}", MaxPool2d(2)));
            layers.Add(($"drop{n}", Dropout(0.1 * n)));
            inCh = filters[b];
            size = (size - kernels[b] + 1) / 2;                                  // 46, 22, 10, 5
        }
        layers.Add(("flatten", Flatten()));
        layers.Add(("fc1", Linear(inCh * size * size, 1000)));
        layers.Add(("elu_fc1", new Elu()));
        layers.Add(("drop_fc1", Dropout(0.5)));
        layers.Add(("fc2", Linear(1000, 1000)));
        layers.Add(("drop_fc2", Dropout(0.6)));
        layers.Add(("out", Linear(1000, outputs)));
        return Sequential(layers);
    }

    /// <summary>
    /// 5 blocks of [conv3x3 -> LeakyReLU -> BatchNorm] x convsPerBlock -> max-pool -> dropout, filters
    /// 32, 64, 128, 256, 512; then flatten -> fc 512 -> dropout -> fc outputs.
    /// convsPerBlock = 2 is "conv10" (10 conv layers), 1 is "conv5".
    /// </summary>
    private static Module<Tensor, Tensor> ConvNet(int outputs, double p, int convsPerBlock, string _)
    {
        int[] filters = [32, 64, 128, 256, 512];
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        var inCh = 1;
        for (var b = 0; b < filters.Length; b++)
        {
            for (var c = 0; c < convsPerBlock; c++)
            {
                var id = $"b{b + 1}c{c + 1}";
                layers.Add(($"conv_{id}", Conv2d(inCh, filters[b], 3, padding: 1)));
                layers.Add(($"act_{id}", new LeakyRelu(0.01)));
                layers.Add(($"bn_{id}", new KeptBatchNorm2d(filters[b])));
                inCh = filters[b];
            }
            layers.Add(($"pool_b{b + 1}", MaxPool2d(2)));           // 48, 24, 12, 6, 3
            layers.Add(($"drop_b{b + 1}", Dropout(p)));
        }
        layers.Add(("flatten", Flatten()));
        layers.Add(("fc1", Linear(inCh * 3 * 3, 512)));
        layers.Add(("act_fc", new LeakyRelu(0.01)));
        layers.Add(("drop_fc", Dropout(p)));
        layers.Add(("out", Linear(512, outputs)));
        return Sequential(layers);
    }
}

/// <summary>
/// ResNet of BasicBlocks (stages of 64, 128, 256, 512 filters) with a 1-channel stem, for 96x96
/// input: [2, 2, 2, 2] blocks is ResNet-18, [3, 4, 6, 3] is ResNet-34. The module name is the
/// model name, so saved files load only into the same depth.
/// </summary>
internal sealed class ResNet : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> stem;
    private readonly Module<Tensor, Tensor> layers;
    private readonly Module<Tensor, Tensor> pool;
    private readonly Module<Tensor, Tensor> fc;

    public ResNet(string name, int[] blocksPerStage, int outputs) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(blocksPerStage.Length, 4);
        stem = Sequential(
            ("conv", Conv2d(1, 64, 7, stride: 2, padding: 3, bias: false)),  // 48
            ("bn", new KeptBatchNorm2d(64)),
            ("relu", ReLU()),
            ("pool", MaxPool2d(3, stride: 2, padding: 1)));                   // 24
        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        var inCh = 64;
        int[] widths = [64, 128, 256, 512];
        for (var s = 0; s < widths.Length; s++)
        {
            var stride = s == 0 ? 1 : 2;                                       // 24, 12, 6, 3
            for (var b = 0; b < blocksPerStage[s]; b++)
            {
                blocks.Add(($"l{s + 1}b{b + 1}", new BasicBlock(inCh, widths[s], b == 0 ? stride : 1)));
                inCh = widths[s];
            }
        }
        layers = Sequential(blocks);
        pool = AdaptiveAvgPool2d(1);
        fc = Linear(512, outputs);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // Intermediates are left to the caller's dispose scope (the trainer opens one per batch).
        var a = stem.forward(x);
        var b = layers.forward(a);
        var c = pool.forward(b);
        return fc.forward(c.flatten(1));
    }

    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2, shortcut;

        public BasicBlock(int inCh, int outCh, int stride) : base("basicblock")
        {
            conv1 = Conv2d(inCh, outCh, 3, stride: stride, padding: 1, bias: false);
            bn1 = new KeptBatchNorm2d(outCh);
            conv2 = Conv2d(outCh, outCh, 3, padding: 1, bias: false);
            bn2 = new KeptBatchNorm2d(outCh);
            shortcut = stride != 1 || inCh != outCh
                ? Sequential(("conv", Conv2d(inCh, outCh, 1, stride: stride, bias: false)), ("bn", new KeptBatchNorm2d(outCh)))
                : Identity();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            // No 'using' here: the shortcut may be Identity, which returns x itself.
            var main = bn2.forward(conv2.forward(functional.relu(bn1.forward(conv1.forward(x)))));
            return functional.relu(main.Plus(shortcut.forward(x)));
        }
    }
}
