using TorchSharp;
using static TorchSharp.torch;

namespace Fkd.Stages.Torch;

/// <summary>
/// TorchSharp 0.107 turns every .NET number it hands libtorch into a <see cref="Scalar"/> that nothing
/// references once its handle is read; a collection set off by another thread can finalize it while the
/// native call still reads it (a failed "toFloat" check in leaky_relu on the first long training on real
/// faces; a wrong number is as possible). It does so for numbers we pass, and inside calls as plain as
/// <c>a + b</c> (alpha 1), <c>square()</c> (exponent 2), <c>add_(s)</c>, <c>arange(n)</c> and the LeakyReLU,
/// ELU and BatchNorm2d modules' forward (<see cref="KeptBatchNorm2d"/>). These are the same operations with Scalars that live as long as the process;
/// TemporaryScalarTests reads the IL and fails on any call left that makes a temporary one.
/// </summary>
public static class KeptScalars
{
    // The values TorchSharp's own overloads pass (ints, so integral tensors accept them too).
    public static readonly Scalar Zero = 0;
    public static readonly Scalar One = 1;
    public static readonly Scalar Two = 2;

    /// <summary><c>a + b</c>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a + s</c>.</summary>
    public static Tensor Plus(this Tensor a, Scalar s) => a.add(s, One);

    /// <summary><c>a += s</c>, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Scalar s) => a.add_(s, One);

    /// <summary><c>t.square()</c>: TorchSharp's is <c>pow(2)</c>, and so is this.</summary>
    public static Tensor Squared(this Tensor t) => t.pow(Two);

    /// <summary><c>arange(n)</c>: 0, 1, ..., n - 1.</summary>
    public static Tensor Range(long n, ScalarType dtype, Device device)
    {
        using Scalar stop = n;
        return arange(Zero, stop, One, dtype, device);
    }
}

/// <summary>LeakyReLU with its slope held as a Scalar for the module's life (TorchSharp's converts the double on every forward; see <see cref="KeptScalars"/>).</summary>
public sealed class LeakyRelu(double negativeSlope) : nn.Module<Tensor, Tensor>("LeakyReLU")
{
    private readonly Scalar _slope = negativeSlope;

    public override Tensor forward(Tensor x) => x.leaky_relu(_slope);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _slope.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>ELU (alpha 1 by default) with its constants held as Scalars for the module's life (see <see cref="KeptScalars"/>).</summary>
public sealed class Elu(double alpha = 1.0) : nn.Module<Tensor, Tensor>("ELU")
{
    private readonly Scalar _alpha = alpha;

    public override Tensor forward(Tensor x) => x.elu(_alpha, KeptScalars.One, KeptScalars.One);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _alpha.Dispose();
        base.Dispose(disposing);
    }
}
