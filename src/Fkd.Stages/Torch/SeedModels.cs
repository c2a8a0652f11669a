using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fkd.Stages.Torch;

/// <summary>
/// The small models of the Kaggle 2nd-place write-up (King and Benge: "LeNet-5 4.1 M", "Conv2D 5-Layer
/// 3.2 M", "Local2D 5 Layer 2.4 M") at the size that write-up gives. The slides give only names and
/// counts; the layer lists follow the write-up's own model code (its LeNet5, ConvNet5 and Kaggle2
/// models), which reproduces those counts. Dropout rates are that code's fixed ones; the model option
/// is not used. Keras' 'same' padding is torch's k/2 padding here (odd kernels, stride 1).
/// </summary>
internal static class SeedModels
{
    /// <summary>
    /// LeNet-5 as the write-up sized it: conv3x3(6) -> ReLU -> avg-pool 2 -> conv3x3(16) -> ReLU -> avg-pool 2
    /// (96 -> 94 -> 47 -> 45 -> 22), fc 512 -> ReLU -> fc 256 -> ReLU -> fc outputs. 4,105,418 parameters
    /// for 30 outputs; the existing <c>lenet5</c> (5x5 kernels, fc 120/84) stays as it was.
    /// </summary>
    public static Module<Tensor, Tensor> LeNet5(int outputs) => Sequential(
        ("conv1", Conv2d(1, 6, 3)), ("relu1", ReLU()), ("pool1", AvgPool2d(2)),
        ("conv2", Conv2d(6, 16, 3)), ("relu2", ReLU()), ("pool2", AvgPool2d(2)),
        ("flatten", Flatten()),
        ("fc1", Linear(16 * 22 * 22, 512)), ("relu3", ReLU()),
        ("fc2", Linear(512, 256)), ("relu4", ReLU()),
        ("out", Linear(256, outputs)));

    /// <summary>
    /// Conv2D 5-layer: 5 x [conv3x3 'same' (16, 32, 64, 128, 256) -> ReLU -> BatchNorm -> max-pool 2 ->
    /// dropout 0.1, 0.2, 0.1, 0.25, 0.15] (96 -> 3), flatten -> fc 1024 -> ReLU -> dropout 0.1 -> fc 512 ->
    /// ReLU -> dropout 0.1 -> fc outputs. 3,293,822 parameters for 30 outputs.
    /// </summary>
    public static Module<Tensor, Tensor> ConvNet5(int outputs)
    {
        int[] filters = [16, 32, 64, 128, 256];
        double[] drops = [0.1, 0.2, 0.1, 0.25, 0.15];
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        var inCh = 1;
        for (var b = 0; b < filters.Length; b++)
        {
            var n = b + 1;
            layers.Add(($"conv{n}", Conv2d(inCh, filters[b], 3, padding: 1)));
            layers.Add(($"relu{n}", ReLU()));
            layers.Add(($"bn{n}", new KeptBatchNorm2d(filters[b])));
            layers.Add(($"pool{n}", MaxPool2d(2)));                              // 48, 24, 12, 6, 3
            layers.Add(($"drop{n}", Dropout(drops[b])));
            inCh = filters[b];
        }
        layers.Add(("flatten", Flatten()));
        layers.Add(("fc1", Linear(inCh * 3 * 3, 1024)));
        layers.Add(("relu_fc1", ReLU()));
        layers.Add(("drop_fc1", Dropout(0.1)));
        layers.Add(("fc2", Linear(1024, 512)));
        layers.Add(("relu_fc2", ReLU()));
        layers.Add(("drop_fc2", Dropout(0.1)));
        layers.Add(("out", Linear(512, outputs)));
        return Sequential(layers);
    }

    /// <summary>
    /// Local2D 5-layer: 3 x [conv3x3 valid (32, 64, 128) -> LeakyReLU 0.1 -> BatchNorm -> max-pool 2 -> dropout 0.2]
    /// (96 -> 94 -> 47 -> 45 -> 22 -> 20 -> 10), a locally connected 3x3 layer of 32 filters (10 -> 8, its own
    /// weights at each of the 64 positions: 2.36 M of the parameters) -> LeakyReLU 0.1 -> BatchNorm ->
    /// global average pool, fc 512 -> ReLU -> dropout 0.15 -> fc outputs. 2,486,814 parameters for 30 outputs.
    /// </summary>
    public static Module<Tensor, Tensor> Local2D5(int outputs)
    {
        int[] filters = [32, 64, 128];
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        var inCh = 1;
        var size = 96;
        for (var b = 0; b < filters.Length; b++)
        {
            var n = b + 1;
            layers.Add(($"conv{n}", Conv2d(inCh, filters[b], 3)));
            layers.Add(($"act{n}", new LeakyRelu(0.1)));
            layers.Add(($"bn{n}", new KeptBatchNorm2d(filters[b])));
            layers.Add(($"pool{n}", MaxPool2d(2)));
            layers.Add(($"drop{n}", Dropout(0.2)));
            inCh = filters[b];
            size = (size - 2) / 2;                                                // 47, 22, 10
        }
        layers.Add(("local4", new LocallyConnected2d(inCh, size, size, 3, 32)));   // 8 x 8
        layers.Add(("act4", new LeakyRelu(0.1)));
        layers.Add(("bn4", new KeptBatchNorm2d(32)));
        layers.Add(("gap", AdaptiveAvgPool2d(1)));
        layers.Add(("flatten", Flatten()));
        layers.Add(("fc1", Linear(32, 512)));
        layers.Add(("relu_fc1", ReLU()));
        layers.Add(("drop_fc1", Dropout(0.15)));
        layers.Add(("out", Linear(512, outputs)));
        return Sequential(layers);
    }
}
