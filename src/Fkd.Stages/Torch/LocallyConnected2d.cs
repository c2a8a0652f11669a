using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fkd.Stages.Torch;

/// <summary>
/// A locally connected layer (Keras' <c>LocallyConnected2D</c>, stride 1, no padding): a convolution whose
/// kernel is not shared, so every output position has its own weights. TorchSharp has none, so it is
/// unfold (every k x k patch as a column) followed by one matrix product per position (einsum). Input
/// N x C x H x W of a fixed size (the weights are per position); output N x O x (H-k+1) x (W-k+1).
/// Parameters: positions x (C·k·k·O + O), as in Keras.
/// </summary>
public sealed class LocallyConnected2d : Module<Tensor, Tensor>
{
    private readonly int _inChannels, _height, _width, _kernel, _outChannels;

    /// <summary>positions x (C·k·k) x O: weight[l, c·k·k + i·k + j, o] multiplies input[c, y + i, x + j] at position l = y·ow + x.</summary>
    public Parameter Weight { get; }

    /// <summary>positions x O.</summary>
    public Parameter Bias { get; }

    public int OutHeight => _height - _kernel + 1;
    public int OutWidth => _width - _kernel + 1;

    public LocallyConnected2d(int inChannels, int height, int width, int kernel, int outChannels) : base("locally_connected2d")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        if (height < kernel || width < kernel)
            throw new ArgumentException($"A {kernel}x{kernel} kernel does not fit a {height}x{width} input.");
        (_inChannels, _height, _width, _kernel, _outChannels) = (inChannels, height, width, kernel, outChannels);
        var positions = OutHeight * OutWidth;
        var fanIn = inChannels * kernel * kernel;
        var bound = 1.0 / Math.Sqrt(fanIn);
        // The bound torch uses for Conv2d/Linear (kaiming uniform with a = sqrt(5) gives 1/sqrt(fan_in)).
        Weight = new Parameter(empty(positions, fanIn, outChannels).uniform_(-bound, bound));
        Bias = new Parameter(empty(positions, outChannels).uniform_(-bound, bound));
        register_parameter("weight", Weight);
        register_parameter("bias", Bias);
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != _inChannels || x.shape[2] != _height || x.shape[3] != _width)
            throw new ArgumentException($"LocallyConnected2d expects N x {_inChannels} x {_height} x {_width}; got [{string.Join(", ", x.shape)}].");
        var n = x.shape[0];
        var cols = functional.unfold(x, _kernel);                        // N x (C·k·k) x L
        var y = einsum("ncl,lco->nol", cols, Weight).Plus(Bias.t().unsqueeze(0)); // N x O x L
        return y.reshape(n, _outChannels, OutHeight, OutWidth);
    }
}
