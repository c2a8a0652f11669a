using Fkd.Stages.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Fkd.Stages.Train;

public static class MaskedLoss
{
    /// <summary>
    /// Mean squared error over the targets that are present: mask = !isnan(target),
    /// loss = sum((pred - t)^2 * mask) / max(1, sum(mask)). Missing targets give no gradient.
    /// </summary>
    public static Tensor Mse(Tensor prediction, Tensor target)
    {
        var mask = target.isnan().logical_not();
        var filled = where(mask, target, zeros_like(target));
        var maskF = mask.to_type(prediction.dtype);
        var diff = (prediction - filled) * maskF;
        // An explicit Scalar, alive until the call returns (see AdamOptimizer: an implicit one can be finalized mid-call).
        using Scalar one = 1.0;
        return diff.Squared().sum() / maskF.sum().clamp_min(one);
    }
}
