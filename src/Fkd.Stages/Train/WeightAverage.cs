using Fkd.Stages.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Fkd.Stages.Train;

/// <summary>
/// An exponential moving average of a model's weights, kept in a second model of the same architecture:
/// after every optimizer step each floating-point entry of the state (parameters and batch-norm running
/// statistics) moves to <c>d · average + (1 − d) · current</c>; integer entries (the batch count) are copied.
/// Validation and the saved model use the average. Why: at the end of a run the raw weights still move with
/// each batch, and batch norm's running statistics follow the last few heavily augmented batches, so the
/// validation error jumps from epoch to epoch even at a tiny learning rate; the average smooths both.
/// <para>
/// The average is bias-corrected, as Adam's moments are: step t uses <c>d = decay · (1 − decay^(t−1)) / (1 − decay^t)</c>,
/// which makes it the weighted mean of the steps so far with weights decay^(t−i) and nothing of the starting
/// weights. A plain average from the starting weights keeps decay^t of them, and that share of a running variance
/// of 1 swamps a first layer's real one (about 0.005 on pixels in [0, 1]): after 6,250 steps at decay 0.999, 0.2%
/// of the start was still enough to make the averaged model predict little more than the mean face.
/// </para>
/// </summary>
public sealed class WeightAverage : IDisposable
{
    private readonly (Tensor Average, Tensor Current)[] _floating;
    private readonly (Tensor Average, Tensor Current)[] _copied;
    private readonly double _decay;

    /// <summary>The averaged model: built by the caller, same architecture and layout as the trained one; the average owns it.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>Updates so far (t), which a resumed training restores with the average it saved.</summary>
    public long Steps { get; private set; }

    /// <param name="average">The model that holds the average; its state is overwritten with <paramref name="current"/>'s
    /// unless <paramref name="steps"/> is above 0 (a resumed run that loaded its average after that many updates).</param>
    public WeightAverage(nn.Module<Tensor, Tensor> average, nn.Module<Tensor, Tensor> current, double decay, long steps = 0)
    {
        if (decay is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "a decay in (0, 1)");
        Model = average;
        var mine = average.state_dict();
        var theirs = current.state_dict();
        if (!mine.Keys.SequenceEqual(theirs.Keys))
            throw new ArgumentException("the average and the trained model must have the same state entries");
        var pairs = mine.Keys.Select(k => (Average: mine[k], Current: theirs[k])).ToArray();
        _floating = [.. pairs.Where(p => p.Average.is_floating_point())];
        _copied = [.. pairs.Where(p => !p.Average.is_floating_point())];
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        (_decay, Steps) = (decay, steps);
        average.train(false);
        if (steps == 0) CopyAll();
    }

    /// <summary>The share the average keeps at step <paramref name="t"/> (1-based): 0 at the first step, towards decay later.</summary>
    public static double Kept(double decay, long t) => decay * (1 - Math.Pow(decay, t - 1)) / (1 - Math.Pow(decay, t));

    /// <summary>One step of the average, after an optimizer step.</summary>
    public void Update()
    {
        Steps++;
        var kept = Kept(_decay, Steps);
        using var _ = no_grad();
        // Explicit Scalars, alive until the calls return (see KeptScalars).
        using Scalar keep = kept, take = 1 - kept;
        foreach (var (a, c) in _floating) a.mul_(keep).add_(c, alpha: take);
        foreach (var (a, c) in _copied) a.copy_(c);
    }

    private void CopyAll()
    {
        using var _ = no_grad();
        foreach (var (a, c) in _floating.Concat(_copied)) a.copy_(c);
    }

    /// <summary>Disposes the averaged model, which the average owns.</summary>
    public void Dispose() => Model.Dispose();
}
