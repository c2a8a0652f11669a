using System.Diagnostics;
using System.Text.Json;
using Fkd.Stages.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Fkd.Stages.Train;

/// <summary>
/// Trains one model on in-memory data with Adam and the masked MSE. Knows nothing of files beyond
/// the checkpoint folder it is given. Deterministic on CPU for a given Seed and Threads: torch's
/// generator is re-seeded from (Seed, epoch) at the start of every epoch and the shuffle uses a
/// System.Random seeded the same way, so a resumed run matches an uninterrupted one.
/// </summary>
public static class Trainer
{
    public const string StateFile = "checkpoint.json";
    public const string BestModelFile = "best.model";
    public const string FinalModelFile = "final.model";
    private const string OptimizerExtension = ".adam";
    private const string AverageExtension = ".average";

    private const double PixelScale = 48.0;

    public static TrainResult Train(TrainingSet train, TrainingSet? validation, TrainParams o,
        string checkpointDir, Action<EpochMetrics>? onEpoch, CancellationToken ct)
    {
        train.Validate();
        validation?.Validate();
        var outputs = train.Outputs;
        if (validation is not null && validation.Outputs != outputs)
            throw new ArgumentException($"Validation has {validation.Outputs} outputs per image; training has {outputs}.");
        if (o.Epochs < 1) throw new ArgumentException("Epochs must be at least 1.");
        if (o.BatchSize < 1) throw new ArgumentException("BatchSize must be at least 1.");
        Directory.CreateDirectory(checkpointDir);

        using var gate = TorchGate.Enter(o.Threads, ct);
        var device = new Device(TorchRuntime.DeviceName(o.Device));

        var state = LoadState(checkpointDir, o);
        if (state is { Completed: true })
            return ResultOf(state, checkpointDir);

        random.manual_seed(o.Seed);
        using var model = ModelFactory.Create(o.Model, outputs, o.ModelOptions);
        if (state is not null) model.load(Path.Combine(checkpointDir, state.ModelFile!));
        model.to(device);
        var channelsLast = o.Layout == TensorLayout.ChannelsLast;
        if (channelsLast) ChannelsLast.Apply(model); // before the optimizer, whose state takes each parameter's layout
        using var optimizer = new AdamOptimizer(model.parameters(), o.LearningRate, o.Beta1, o.Beta2, o.Eps, o.WeightDecay);
        if (state is not null && state.OptimizerFile is not null)
            optimizer.Load(Path.Combine(checkpointDir, state.OptimizerFile));
        using var average = o.Ema > 0 ? StartAverage(o, outputs, model, device, channelsLast, state, checkpointDir) : null;
        var evaluated = average?.Model ?? model; // what validation scores and the best and final files hold

        state ??= new CheckpointState { Options = Fingerprint(o), LearningRate = o.LearningRate };

        for (var epoch = state.Epoch + 1; epoch <= o.Epochs; epoch++)
        {
            ct.ThrowIfCancellationRequested();
            var lr = LearningRateFor(o, epoch, state);
            optimizer.LearningRate = lr;

            var epochSeed = unchecked(o.Seed * 1_000_003L + epoch);
            random.manual_seed(epochSeed);
            var order = EpochOrder(train.Count, o.Seed, epoch);

            var sw = Stopwatch.StartNew();
            model.train();
            double lossSum = 0;
            long lossWeight = 0;
            // The next batches are gathered on a worker while this thread runs the model.
            using var feed = BatchFeed.Start(train, order, o.BatchSize, Prefetch, ct);
            while (feed.Next(ct) is { } host)
            {
                var n = host.Count;
                using var scope = NewDisposeScope();
                var (x, y) = ToTensors(host, outputs, device, channelsLast);
                feed.Return(host);
                model.zero_grad();
                var prediction = model.forward(x);
                var loss = MaskedLoss.Mse(prediction, y);
                loss.backward();
                optimizer.Step();
                average?.Update();
                lossSum += loss.item<float>() * n;
                lossWeight += n;
            }
            var trainSeconds = sw.Elapsed.TotalSeconds;
            double? rmse = validation is null ? null : ValidationRmse(evaluated, validation, o.BatchSize, device, channelsLast);
            sw.Stop();

            var metrics = new EpochMetrics(epoch, lossSum / Math.Max(1, lossWeight), rmse, lr,
                sw.Elapsed.TotalSeconds, train.Count / Math.Max(trainSeconds, 1e-9));
            state.Metrics.Add(metrics);
            UpdateTracking(o, state, metrics, checkpointDir, evaluated);
            state.Epoch = epoch;
            if (o.Patience > 0 && validation is not null && epoch - state.BestEpoch >= o.Patience)
                state.StoppedEarly = true;
            state.Completed = state.StoppedEarly || epoch == o.Epochs;
            state.AverageSteps = average?.Steps ?? 0;
            SaveCheckpoint(checkpointDir, state, model, optimizer, average?.Model);
            onEpoch?.Invoke(metrics);
            if (state.StoppedEarly) break;
        }

        return ResultOf(state, checkpointDir);
    }

    /// <summary>Root mean squared error in pixels over the present coordinates (no flip TTA).</summary>
    public static double ValidationRmse(nn.Module<Tensor, Tensor> model, TrainingSet set, int batchSize, Device device, bool channelsLast = false)
    {
        var outputs = set.Outputs;
        var order = Enumerable.Range(0, set.Count).ToArray();
        var bs = Math.Max(1, Math.Min(Math.Max(batchSize, 128), set.Count));
        double sq = 0;
        long count = 0;
        model.eval();
        using (no_grad())
        {
            using var feed = BatchFeed.Start(set, order, bs, Prefetch);
            while (feed.Next() is { } host)
            {
                using var scope = NewDisposeScope();
                var (x, y) = ToTensors(host, outputs, device, channelsLast);
                feed.Return(host);
                var mask = y.isnan().logical_not();
                var diff = where(mask, model.forward(x) - y, zeros_like(y));
                sq += diff.Squared().sum().cpu().item<float>();
                count += mask.sum().cpu().item<long>();
            }
        }
        return count == 0 ? double.NaN : Math.Sqrt(sq / count) * PixelScale;
    }

    /// <summary>Batches gathered ahead of the model: enough to hide a slow copy, few enough to keep memory flat.</summary>
    private const int Prefetch = 3;

    /// <summary>The batch as tensors on the device; <c>tensor()</c> copies, so the host arrays can go back to the feed.</summary>
    private static (Tensor X, Tensor Y) ToTensors(HostBatch b, int outputs, Device device, bool channelsLast)
    {
        var x = tensor(b.Pixels, [b.Count, 1, 96, 96]);
        var y = tensor(b.Targets, [b.Count, outputs]);
        if (device.type != DeviceType.CPU) { x = x.to(device); y = y.to(device); }
        return (channelsLast ? ChannelsLast.Input(x) : x, y);
    }

    /// <summary>
    /// The order an epoch visits the training images in: a permutation of 0..count−1 that depends only on
    /// (seed, epoch), so a resumed run, and a set read from memory or from its pixel file, see the same.
    /// </summary>
    public static int[] EpochOrder(int count, long seed, int epoch)
    {
        var epochSeed = unchecked(seed * 1_000_003L + epoch);
        var order = Enumerable.Range(0, count).ToArray();
        Shuffle(order, new Random(unchecked((int)(epochSeed ^ (epochSeed >> 32)))));
        return order;
    }

    private static void Shuffle(int[] a, Random rng)
    {
        Array.Sort(a); // start from the same order every epoch, whatever came before
        for (var i = a.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }

    private static double LearningRateFor(TrainParams o, int epoch, CheckpointState state) =>
        o.Schedule switch
        {
            LrSchedule.Cosine => o.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (epoch - 1) / o.Epochs)),
            LrSchedule.Plateau => state.LearningRate,
            _ => o.LearningRate,
        };

    private const double PlateauFactor = 0.5;
    private const int PlateauPatience = 2;
    private const double MinLearningRate = 1e-6;

    private static void UpdateTracking(TrainParams o, CheckpointState state, EpochMetrics m, string dir,
        nn.Module<Tensor, Tensor> model)
    {
        // The score that decides "best" and drives the plateau schedule: validation RMSE when there
        // is validation, else the training loss.
        var score = m.ValidationRmse ?? m.TrainLoss;
        if (state.BestEpoch == 0 || score < state.BestScore)
        {
            state.BestEpoch = m.Epoch;
            state.BestScore = score;
            if (m.ValidationRmse is not null) AtomicSave(model, Path.Combine(dir, BestModelFile));
        }
        if (o.Schedule == LrSchedule.Plateau)
        {
            if (score < state.PlateauBest - 1e-12) { state.PlateauBest = score; state.PlateauBad = 0; }
            else if (++state.PlateauBad >= PlateauPatience)
            {
                state.LearningRate = Math.Max(MinLearningRate, state.LearningRate * PlateauFactor);
                state.PlateauBad = 0;
            }
        }
    }

    /// <summary>The weight average of a training with <see cref="TrainParams.Ema"/>: a second model of the same
    /// architecture, from the checkpoint's average when resuming, else from the trained model's current weights.</summary>
    private static WeightAverage StartAverage(TrainParams o, int outputs, nn.Module<Tensor, Tensor> model, Device device,
        bool channelsLast, CheckpointState? state, string dir)
    {
        var shadow = ModelFactory.Create(o.Model, outputs, o.ModelOptions);
        var resumed = state?.AverageFile is { } f && File.Exists(Path.Combine(dir, f)) && state.AverageSteps > 0;
        if (resumed) shadow.load(Path.Combine(dir, state!.AverageFile!));
        shadow.to(device);
        if (channelsLast) ChannelsLast.Apply(shadow);
        return new WeightAverage(shadow, model, o.Ema, resumed ? state!.AverageSteps : 0);
    }

    private static void SaveCheckpoint(string dir, CheckpointState state, nn.Module<Tensor, Tensor> model, AdamOptimizer optimizer,
        nn.Module<Tensor, Tensor>? average)
    {
        // Files carry the epoch in their name; the JSON state, moved into place last, says which
        // set is current. A crash at any point leaves the previous checkpoint intact.
        var modelFile = $"epoch-{state.Epoch:D4}.model";
        var optimFile = $"epoch-{state.Epoch:D4}{OptimizerExtension}";
        var averageFile = average is null ? null : $"epoch-{state.Epoch:D4}{AverageExtension}";
        AtomicSave(model, Path.Combine(dir, modelFile));
        if (average is not null) AtomicSave(average, Path.Combine(dir, averageFile!));
        var optimTmp = Path.Combine(dir, optimFile + ".tmp");
        optimizer.Save(optimTmp);
        File.Move(optimTmp, Path.Combine(dir, optimFile), overwrite: true);
        var previous = (state.ModelFile, state.OptimizerFile, state.AverageFile);
        state.ModelFile = modelFile;
        state.OptimizerFile = optimFile;
        state.AverageFile = averageFile;
        if (state.Completed)
        {
            var final = Path.Combine(dir, FinalModelFile);
            var last = Path.Combine(dir, averageFile ?? modelFile);
            var source = state.Metrics.Any(e => e.ValidationRmse is not null) && File.Exists(Path.Combine(dir, BestModelFile))
                ? Path.Combine(dir, BestModelFile) : last;
            File.Copy(source, final + ".tmp", overwrite: true);
            File.Move(final + ".tmp", final, overwrite: true);
        }
        var json = Path.Combine(dir, StateFile);
        File.WriteAllText(json + ".tmp", JsonSerializer.Serialize(state, JsonOptions));
        File.Move(json + ".tmp", json, overwrite: true);
        foreach (var old in new[] { previous.ModelFile, previous.OptimizerFile, previous.AverageFile })
            if (old is not null && old != modelFile && old != optimFile && old != averageFile) TryDelete(Path.Combine(dir, old));
    }

    private static void AtomicSave(nn.Module<Tensor, Tensor> model, string path)
    {
        var tmp = path + ".tmp";
        ChannelsLast.Save(model, tmp);
        File.Move(tmp, path, overwrite: true);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static CheckpointState? LoadState(string dir, TrainParams o)
    {
        var json = Path.Combine(dir, StateFile);
        if (!File.Exists(json)) return null;
        CheckpointState? state;
        try { state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(json), JsonOptions); }
        catch (JsonException) { return null; } // unreadable: start over
        if (state is null || state.ModelFile is null || !File.Exists(Path.Combine(dir, state.ModelFile)))
            return null;
        // A checkpoint whose optimizer state is in TorchSharp's format (before AdamOptimizer) cannot resume exactly: start over.
        if (state.OptimizerFile is { } f && !f.EndsWith(OptimizerExtension, StringComparison.Ordinal))
            return null;
        if (state.Options != Fingerprint(o))
            throw new InvalidOperationException(
                $"The checkpoint in '{dir}' was written with different training options; use an empty folder.");
        if (state.OptimizerFile is not null && !File.Exists(Path.Combine(dir, state.OptimizerFile)))
            state.OptimizerFile = null;
        return state;
    }

    /// <summary>Options that must match for a resume, written out field by field so the text stays what
    /// earlier checkpoints hold. Threads, device, flip TTA, targets and the held-out fold are not in it: the
    /// first three do not change what the remaining epochs learn, the last two change the training set,
    /// which is part of the stage's key and so of the checkpoint folder.</summary>
    private static string Fingerprint(TrainParams o) => JsonSerializer.Serialize(new
    {
        o.Model, o.Epochs, o.BatchSize, o.LearningRate, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.Dropout,
        Schedule = o.Schedule.ToString().ToLowerInvariant(), o.Patience, o.Seed, Threads = 0, Device = "", FlipTta = false, o.ModelOptions,
    });

    private static TrainResult ResultOf(CheckpointState s, string dir)
    {
        var hasValidation = s.Metrics.Any(m => m.ValidationRmse is not null);
        var final = Path.Combine(dir, FinalModelFile);
        var model = File.Exists(final) ? final : Path.Combine(dir, s.AverageFile ?? s.ModelFile!);
        return new TrainResult(model, s.Metrics.ToList(), s.BestEpoch,
            hasValidation ? s.BestScore : null, s.StoppedEarly);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private sealed class CheckpointState
    {
        public string Options { get; set; } = "";
        public int Epoch { get; set; }
        public string? ModelFile { get; set; }
        public string? OptimizerFile { get; set; }
        public string? AverageFile { get; set; }
        public long AverageSteps { get; set; }
        public double LearningRate { get; set; }
        public int BestEpoch { get; set; }
        public double BestScore { get; set; } = double.MaxValue;
        public double PlateauBest { get; set; } = double.MaxValue;
        public int PlateauBad { get; set; }
        public bool StoppedEarly { get; set; }
        public bool Completed { get; set; }
        public List<EpochMetrics> Metrics { get; set; } = [];
    }
}
