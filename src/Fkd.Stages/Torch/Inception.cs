using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fkd.Stages.Torch;

/// <summary>
/// Inception V1 (GoogLeNet, Szegedy et al. 2014) for 96x96x1 as the 2nd-place write-up built it ("6.8 M"):
/// stem conv7x7/2 (64) -> max-pool 3/2 -> conv1x1 (64) -> conv3x3 (192) -> max-pool 3/2 (96 -> 12), modules
/// 3a 3b, pool (6), 4a, dropout 0.2, 4b 4c 4d, dropout 0.2, 4e, pool (3), 5a 5b, global average pool,
/// dropout 0.3, fc outputs; ReLU after every conv, conv biases. The two auxiliary heads of the paper
/// (avg-pool 5/3 -> conv1x1 128 -> fc 1024 -> dropout 0.3 -> fc outputs, after 4a and 4d) are part of the
/// model and of its 6,850,314 parameters (30 outputs; 5,998,030 without them). The write-up trained the
/// three heads with equal-weight losses; the trainer here takes one output, so the model's output is the
/// mean of the three heads, in training and prediction alike, and every parameter learns.
/// </summary>
internal sealed class InceptionV1 : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> stem, a3, b3, pool3, a4, drop4a, b4, c4, d4, drop4d, e4, pool4, a5, b5, head, aux1, aux2;

    public InceptionV1(int outputs) : base("inception-v1")
    {
        stem = Sequential(
            ("conv1", Conv2d(1, 64, 7, stride: 2, padding: 3)), ("relu1", ReLU()),           // 48
            ("pool1", MaxPool2d(3, stride: 2, padding: 1)),                                   // 24
            ("conv2a", Conv2d(64, 64, 1)), ("relu2a", ReLU()),
            ("conv2b", Conv2d(64, 192, 3, padding: 1)), ("relu2b", ReLU()),
            ("pool2", MaxPool2d(3, stride: 2, padding: 1)));                                  // 12
        a3 = new Block(192, 64, 96, 128, 16, 32, 32);       // 256
        b3 = new Block(256, 128, 128, 192, 32, 96, 64);     // 480
        pool3 = MaxPool2d(3, stride: 2, padding: 1);         // 6
        a4 = new Block(480, 192, 96, 208, 16, 48, 64);      // 512
        drop4a = Dropout(0.2);
        b4 = new Block(512, 160, 112, 224, 24, 64, 64);     // 512
        c4 = new Block(512, 128, 128, 256, 24, 64, 64);     // 512
        d4 = new Block(512, 112, 144, 288, 32, 64, 64);     // 528
        drop4d = Dropout(0.2);
        e4 = new Block(528, 256, 160, 320, 32, 128, 128);   // 832
        pool4 = MaxPool2d(3, stride: 2, padding: 1);         // 3
        a5 = new Block(832, 256, 160, 320, 32, 128, 128);   // 832
        b5 = new Block(832, 384, 192, 384, 48, 128, 128);   // 1024
        head = Sequential(("gap", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("drop", Dropout(0.3)), ("fc", Linear(1024, outputs)));
        // 'same' average pooling (Keras excludes the padding from the mean): 6 -> 2; the second is 'valid': 6 -> 1.
        aux1 = Aux(512, AvgPool2d(5, stride: 3, padding: 2, count_include_pad: false), 2 * 2, outputs);
        aux2 = Aux(528, AvgPool2d(5, stride: 3), 1, outputs);
        RegisterComponents();
    }

    private static Module<Tensor, Tensor> Aux(int inCh, Module<Tensor, Tensor> pool, int cells, int outputs) => Sequential(
        ("pool", pool), ("conv", Conv2d(inCh, 128, 1)), ("relu", ReLU()), ("flatten", Flatten()),
        ("fc1", Linear(128 * cells, 1024)), ("relu_fc", ReLU()), ("drop", Dropout(0.3)), ("fc2", Linear(1024, outputs)));

    public override Tensor forward(Tensor x)
    {
        var s = pool3.forward(b3.forward(a3.forward(stem.forward(x))));
        var t4a = drop4a.forward(a4.forward(s));
        var t4d = drop4d.forward(d4.forward(c4.forward(b4.forward(t4a))));
        var main = head.forward(b5.forward(a5.forward(pool4.forward(e4.forward(t4d)))));
        using Scalar three = 3.0; // explicit, alive until the call returns (see Train/AdamOptimizer)
        return main.Plus(aux1.forward(t4a)).Plus(aux2.forward(t4d)) / three;
    }

    /// <summary>An inception module: 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | max-pool 3/1 -> 1x1, concatenated.</summary>
    private sealed class Block : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> b1, b3, b5, bp;

        public Block(int inCh, int c1, int r3, int c3, int r5, int c5, int pp) : base("inception")
        {
            b1 = Sequential(("conv", Conv2d(inCh, c1, 1)), ("relu", ReLU()));
            b3 = Sequential(("reduce", Conv2d(inCh, r3, 1)), ("relu1", ReLU()), ("conv", Conv2d(r3, c3, 3, padding: 1)), ("relu2", ReLU()));
            b5 = Sequential(("reduce", Conv2d(inCh, r5, 1)), ("relu1", ReLU()), ("conv", Conv2d(r5, c5, 5, padding: 2)), ("relu2", ReLU()));
            bp = Sequential(("pool", MaxPool2d(3, stride: 1, padding: 1)), ("conv", Conv2d(inCh, pp, 1)), ("relu", ReLU()));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => cat([b1.forward(x), b3.forward(x), b5.forward(x), bp.forward(x)], 1);
    }
}

/// <summary>
/// Inception V3 (Szegedy et al. 2015) for 96x96x1, the write-up's layer list ("21.8 M"): Keras' InceptionV3
/// blocks mixed0..mixed10 (conv -> BatchNorm -> ReLU units, convs without bias) on a stem of conv3x3/2 valid
/// (32), conv3x3 valid (32), conv3x3 (64), max-pool 3/2, conv1x1 (80), conv3x3 valid (192), max-pool 3/2
/// (96 -> 47 -> 45 -> 22 -> 20 -> 9); mixed3 takes 9 to 4, mixed8 4 to 1; then global average pool,
/// dropout 0.3, fc outputs. 21,846,462 parameters for 30 outputs (the write-up's BatchNorm has no scale;
/// torch's has one per channel, counted here).
/// </summary>
internal sealed class InceptionV3 : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> stem, blocks, head;

    public InceptionV3(int outputs) : base("inception-v3")
    {
        stem = Sequential(
            ("c1", Unit(1, 32, 3, 3, stride: 2, same: false)),     // 47
            ("c2", Unit(32, 32, 3, 3, same: false)),               // 45
            ("c3", Unit(32, 64, 3, 3)),                            // 45
            ("pool1", MaxPool2d(3, stride: 2)),                    // 22
            ("c4", Unit(64, 80, 1, 1, same: false)),
            ("c5", Unit(80, 192, 3, 3, same: false)),              // 20
            ("pool2", MaxPool2d(3, stride: 2)));                   // 9
        blocks = Sequential(
            ("mixed0", new MixedA(192, 32)),    // 256
            ("mixed1", new MixedA(256, 64)),    // 288
            ("mixed2", new MixedA(288, 64)),    // 288
            ("mixed3", new ReductionA(288)),    // 768, 4x4
            ("mixed4", new MixedC(768, 128)),
            ("mixed5", new MixedC(768, 160)),
            ("mixed6", new MixedC(768, 160)),
            ("mixed7", new MixedC(768, 192)),
            ("mixed8", new ReductionB(768)),    // 1280, 1x1
            ("mixed9", new MixedE(1280)),       // 2048
            ("mixed10", new MixedE(2048)));
        head = Sequential(("gap", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("drop", Dropout(0.3)), ("fc", Linear(2048, outputs)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.forward(blocks.forward(stem.forward(x)));

    /// <summary>conv (no bias) -> BatchNorm -> ReLU; 'same' pads (kh/2, kw/2) at stride 1.</summary>
    private static Module<Tensor, Tensor> Unit(int inCh, int outCh, int kh, int kw, int stride = 1, bool same = true) => Sequential(
        ("conv", Conv2d(inCh, outCh, (kh, kw), stride: (stride, stride), padding: same ? (kh / 2, kw / 2) : (0, 0), bias: false)),
        ("bn", new KeptBatchNorm2d(outCh, eps: 1e-3)),
        ("relu", ReLU()));

    private static Module<Tensor, Tensor> AvgSame() => AvgPool2d(3, stride: 1, padding: 1, count_include_pad: false);

    /// <summary>mixed0..2: 1x1 (64) | 1x1 (48) -> 5x5 (64) | 1x1 (64) -> 3x3 (96) -> 3x3 (96) | avg-pool -> 1x1 (pool).</summary>
    private sealed class MixedA : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> b1, b5, b3, bp;

        public MixedA(int inCh, int pool) : base("mixed_a")
        {
            b1 = Unit(inCh, 64, 1, 1);
            b5 = Sequential(("a", Unit(inCh, 48, 1, 1)), ("b", Unit(48, 64, 5, 5)));
            b3 = Sequential(("a", Unit(inCh, 64, 1, 1)), ("b", Unit(64, 96, 3, 3)), ("c", Unit(96, 96, 3, 3)));
            bp = Sequential(("pool", AvgSame()), ("a", Unit(inCh, pool, 1, 1)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => cat([b1.forward(x), b5.forward(x), b3.forward(x), bp.forward(x)], 1);
    }

    /// <summary>mixed3: 3x3/2 valid (384) | 1x1 (64) -> 3x3 (96) -> 3x3/2 valid (96) | max-pool 3/2.</summary>
    private sealed class ReductionA : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> b3, bd, bp;

        public ReductionA(int inCh) : base("reduction_a")
        {
            b3 = Unit(inCh, 384, 3, 3, stride: 2, same: false);
            bd = Sequential(("a", Unit(inCh, 64, 1, 1)), ("b", Unit(64, 96, 3, 3)), ("c", Unit(96, 96, 3, 3, stride: 2, same: false)));
            bp = MaxPool2d(3, stride: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => cat([b3.forward(x), bd.forward(x), bp.forward(x)], 1);
    }

    /// <summary>mixed4..7: 1x1 (192) | 1x1 (c) -> 1x7 (c) -> 7x1 (192) | 1x1 (c) -> 7x1 -> 1x7 -> 7x1 (c) -> 1x7 (192) | avg-pool -> 1x1 (192).</summary>
    private sealed class MixedC : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> b1, b7, bd, bp;

        public MixedC(int inCh, int c) : base("mixed_c")
        {
            b1 = Unit(inCh, 192, 1, 1);
            b7 = Sequential(("a", Unit(inCh, c, 1, 1)), ("b", Unit(c, c, 1, 7)), ("c", Unit(c, 192, 7, 1)));
            bd = Sequential(("a", Unit(inCh, c, 1, 1)), ("b", Unit(c, c, 7, 1)), ("c", Unit(c, c, 1, 7)), ("d", Unit(c, c, 7, 1)), ("e", Unit(c, 192, 1, 7)));
            bp = Sequential(("pool", AvgSame()), ("a", Unit(inCh, 192, 1, 1)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => cat([b1.forward(x), b7.forward(x), bd.forward(x), bp.forward(x)], 1);
    }

    /// <summary>mixed8: 1x1 (192) -> 3x3/2 valid (320) | 1x1 -> 1x7 -> 7x1 -> 3x3/2 valid (192) | max-pool 3/2.</summary>
    private sealed class ReductionB : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> b3, b7, bp;

        public ReductionB(int inCh) : base("reduction_b")
        {
            b3 = Sequential(("a", Unit(inCh, 192, 1, 1)), ("b", Unit(192, 320, 3, 3, stride: 2, same: false)));
            b7 = Sequential(("a", Unit(inCh, 192, 1, 1)), ("b", Unit(192, 192, 1, 7)), ("c", Unit(192, 192, 7, 1)), ("d", Unit(192, 192, 3, 3, stride: 2, same: false)));
            bp = MaxPool2d(3, stride: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => cat([b3.forward(x), b7.forward(x), bp.forward(x)], 1);
    }

    /// <summary>mixed9, 10: 1x1 (320) | 1x1 (384) -> [1x3 | 3x1] (384 each) | 1x1 (448) -> 3x3 (384) -> [1x3 | 3x1] | avg-pool -> 1x1 (192).</summary>
    private sealed class MixedE : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> b1, b3, b3a, b3b, bd, bda, bdb, bp;

        public MixedE(int inCh) : base("mixed_e")
        {
            b1 = Unit(inCh, 320, 1, 1);
            b3 = Unit(inCh, 384, 1, 1);
            b3a = Unit(384, 384, 1, 3);
            b3b = Unit(384, 384, 3, 1);
            bd = Sequential(("a", Unit(inCh, 448, 1, 1)), ("b", Unit(448, 384, 3, 3)));
            bda = Unit(384, 384, 1, 3);
            bdb = Unit(384, 384, 3, 1);
            bp = Sequential(("pool", AvgSame()), ("a", Unit(inCh, 192, 1, 1)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var t3 = b3.forward(x);
            var td = bd.forward(x);
            return cat([b1.forward(x), b3a.forward(t3), b3b.forward(t3), bda.forward(td), bdb.forward(td), bp.forward(x)], 1);
        }
    }
}
