using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Fkd.Stages.Torch;

/// <summary>
/// TorchSharp's BatchNorm2d, with the one temporary Scalar pair it makes kept alive: its forward counts batches
/// with <c>num_batches_tracked.add_(1)</c>, a Scalar for 1 and another for alpha, and a 40-epoch cnn-medium on real
/// faces failed at epoch 34 when one was finalized mid-call ("for integral input tensors, argument alpha must not be
/// a floating point number"). Otherwise TorchSharp's own forward, line for line, on TorchSharp's own base class, so
/// the parameters, buffers, their names and order (hence model.bin) and the arithmetic are the same
/// (TorchSharp's BatchNorm2d is sealed, and adds nothing to the base but the 4-D check). See <see cref="KeptScalars"/>.
/// </summary>
public sealed class KeptBatchNorm2d(long features, double eps = 1e-05, double momentum = 0.1)
    : BatchNorm(features, eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null, name: "BatchNorm2d")
{
    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        var factor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is { } batches)
        {
            batches.add_(KeptScalars.One, KeptScalars.One);   // ints, as TorchSharp's: the counter is an int64 tensor
            factor = momentum ?? 1.0 / batches.item<long>();
        }
        var useStats = !training || track_running_stats;
        var batchStats = training || (running_mean is null && running_var is null);
        return F.batch_norm(input, useStats ? running_mean : null, useStats ? running_var : null, weight, bias, batchStats, factor, eps);
    }

    protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.Dimensions != 4) throw new ArgumentException($"expected 4D input (got {input.Dimensions}D input)");
    }
}
