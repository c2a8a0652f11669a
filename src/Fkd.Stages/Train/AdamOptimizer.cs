using Fkd.Stages.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Fkd.Stages.Train;

/// <summary>
/// Adam computed op for op as TorchSharp's <c>optim.Adam</c> (so a training gives the same bytes), with every
/// scalar argument an explicit <see cref="Scalar"/> kept alive until its call returns and then disposed.
/// <para>Why not TorchSharp's own: it passes each double (beta1, 1 − beta1, √bias-correction, eps, the step size)
/// as a temporary Scalar that nothing references once its handle is read, so a garbage collection set off by
/// another thread can finalize it while libtorch is reading it. With two trainings side by side (the stacking
/// pipelines) that use after free failed trainings within an epoch ("Expected false to be true" from
/// Scalar::toDouble; "For integral input tensors, argument alpha must not be a floating point number").</para>
/// State (per parameter: step, first and second moments) is saved in a file of its own format.
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    private const string Magic = "fkd-adam-1";

    private readonly Parameter[] _parameters;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;
    private readonly long[] _step;
    private readonly double _beta1, _beta2, _eps, _weightDecay;

    public double LearningRate { get; set; }

    public AdamOptimizer(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        if (lr < 0) throw new ArgumentException($"Invalid learning rate: {lr}");
        if (eps < 0) throw new ArgumentException($"Invalid eps: {eps}");
        if (beta1 is < 0 or >= 1) throw new ArgumentException($"Invalid beta1: {beta1}");
        if (beta2 is < 0 or >= 1) throw new ArgumentException($"Invalid beta2: {beta2}");
        if (weightDecay < 0) throw new ArgumentException($"Invalid weight decay: {weightDecay}");
        _parameters = [.. parameters];
        _expAvg = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _expAvgSq = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _step = new long[_parameters.Length];
        (LearningRate, _beta1, _beta2, _eps, _weightDecay) = (lr, beta1, beta2, eps, weightDecay);
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using Scalar beta1 = _beta1, beta2 = _beta2, oneMinusBeta1 = 1 - _beta1, oneMinusBeta2 = 1 - _beta2, eps = _eps, decay = _weightDecay;
        for (var i = 0; i < _parameters.Length; i++)
        {
            var param = _parameters[i];
            var grad = param.grad;
            if (grad is null) continue;
            _step[i] += 1;
            var biasCorrection1 = 1 - Math.Pow(_beta1, _step[i]);
            var biasCorrection2 = 1 - Math.Pow(_beta2, _step[i]);
            if (_weightDecay != 0) grad = grad.add(param, alpha: decay);
            _expAvg[i].mul_(beta1).add_(grad, alpha: oneMinusBeta1);
            _expAvgSq[i].mul_(beta2).addcmul_(grad, grad.conj(), value: oneMinusBeta2);
            using Scalar sqrtBc2 = Math.Sqrt(biasCorrection2), minusStep = -(LearningRate / biasCorrection1);
            var denom = (_expAvgSq[i].sqrt() / sqrtBc2).PlusInPlace(eps);
            param.addcdiv_(_expAvg[i], denom, value: minusStep);
        }
    }

    public void Save(string path)
    {
        using var w = new BinaryWriter(File.Create(path));
        w.Write(Magic);
        w.Write(_parameters.Length);
        for (var i = 0; i < _parameters.Length; i++)
        {
            w.Write(_step[i]);
            SaveContiguous(_expAvg[i], w);
            SaveContiguous(_expAvgSq[i], w);
        }
    }

    public void Load(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        if (r.ReadString() != Magic) throw new InvalidDataException($"{path}: not an optimizer state this program wrote");
        var n = r.ReadInt32();
        if (n != _parameters.Length) throw new InvalidDataException($"{path}: state for {n} parameters, the model has {_parameters.Length}");
        for (var i = 0; i < n; i++)
        {
            _step[i] = r.ReadInt64();
            LoadInto(_expAvg[i], r);
            LoadInto(_expAvgSq[i], r);
        }
    }

    // The state takes its parameter's layout (zeros_like), which may be channels-last (ChannelsLast.Apply);
    // TorchSharp reads and writes only contiguous tensors, so the file always holds the ordinary layout.
    private static void SaveContiguous(Tensor t, BinaryWriter w)
    {
        if (t.is_contiguous()) { t.Save(w); return; }
        using var c = t.contiguous();
        c.Save(w);
    }

    private static void LoadInto(Tensor t, BinaryReader r)
    {
        if (t.is_contiguous()) { t.Load(r); return; }
        using var c = t.contiguous();
        c.Load(r);
        using var _ = no_grad();
        t.copy_(c);
    }

    public void Dispose()
    {
        foreach (var t in _expAvg) t.Dispose();
        foreach (var t in _expAvgSq) t.Dispose();
    }
}
