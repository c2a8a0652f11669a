using Fkd.Stages.Torch;
using static TorchSharp.torch;

namespace Fkd.Stages.Tests.Torch;

[Collection(TorchCollection.Name)]
public sealed class LocallyConnected2dTests
{
    [Fact]
    public void Equals_a_naive_per_position_computation()
    {
        TorchRuntime.PrepareProcess();
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        const int n = 2, c = 3, h = 5, w = 6, k = 3, o = 4;
        using var layer = new LocallyConnected2d(c, h, w, k, o);
        var x = randn(n, c, h, w);
        var y = layer.forward(x);
        Assert.Equal(new long[] { n, o, h - k + 1, w - k + 1 }, y.shape);

        var xs = x.data<float>().ToArray();
        var ws = layer.Weight.data<float>().ToArray();   // positions x (c·k·k) x o
        var bs = layer.Bias.data<float>().ToArray();     // positions x o
        var ys = y.data<float>().ToArray();
        int oh = h - k + 1, ow = w - k + 1;
        for (var b = 0; b < n; b++)
            for (var i = 0; i < oh; i++)
                for (var j = 0; j < ow; j++)
                {
                    var l = i * ow + j;
                    for (var f = 0; f < o; f++)
                    {
                        double sum = bs[l * o + f];
                        for (var ch = 0; ch < c; ch++)
                            for (var di = 0; di < k; di++)
                                for (var dj = 0; dj < k; dj++)
                                    sum += xs[((b * c + ch) * h + i + di) * w + j + dj] * ws[(l * c * k * k + (ch * k + di) * k + dj) * o + f];
                        Assert.Equal(sum, ys[((b * o + f) * oh + i) * ow + j], 4);
                    }
                }
    }

    [Fact]
    public void Weights_are_not_shared_between_positions_and_the_count_is_keras()
    {
        TorchRuntime.PrepareProcess();
        using var layer = new LocallyConnected2d(128, 10, 10, 3, 32);
        // 8 x 8 positions, each 3·3·128·32 weights and 32 biases.
        Assert.Equal(64L * (3 * 3 * 128 * 32 + 32), layer.parameters().Sum(p => p.numel()));
        Assert.Throws<ArgumentException>(() => layer.forward(zeros(1, 128, 11, 10)));
    }
}
