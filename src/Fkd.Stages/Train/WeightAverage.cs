using Fkd.Stages.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Fkd.Stages.Train;

/// <summary>
/// An exponential moving average of a model's weights, kept in a second model of the same architecture:
/// after every optimizer step each floating-point entry of the state (parameters and batch-norm running
/// statistics) moves to <c>decay · average + (1 − decay) · current</c>; integer entries (the batch count) are
/// copied. Validation and the saved model use the average. Why: at the end of a run the raw weights still
/// move with each batch, and batch norm's running statistics follow the last few heavily augmented batches,
/// so the validation error jumps from epoch to epoch even at a tiny learning rate; the average smooths both.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    private readonly (Tensor Average, Tensor Current)[] _floating;
    private readonly (Tensor Average, Tensor Current)[] _copied;
    private readonly Scalar _decay, _rest;

    /// <summary>The averaged model: built by the caller, same architecture and layout as the trained one.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <param name="average">The model that holds the average; its state is overwritten with <paramref name="current"/>'s
    /// unless <paramref name="startFromCurrent"/> is false (a resumed run that loaded its average).</param>
    public WeightAverage(nn.Module<Tensor, Tensor> average, nn.Module<Tensor, Tensor> current, double decay, bool startFromCurrent = true)
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
        (_decay, _rest) = (decay, 1 - decay);
        average.train(false);
        if (startFromCurrent) CopyAll();
    }

    /// <summary>One step of the average, after an optimizer step.</summary>
    public void Update()
    {
        using var _ = no_grad();
        foreach (var (a, c) in _floating) a.mul_(_decay).add_(c, alpha: _rest);
        foreach (var (a, c) in _copied) a.copy_(c);
    }

    private void CopyAll()
    {
        using var _ = no_grad();
        foreach (var (a, c) in _floating.Concat(_copied)) a.copy_(c);
    }

    public void Dispose()
    {
        _decay.Dispose();
        _rest.Dispose();
    }
}
