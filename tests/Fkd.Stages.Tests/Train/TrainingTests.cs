using Fkd.Stages.Faces;
using Fkd.Stages.Torch;
using Fkd.Stages.Tests.Torch;
using Fkd.Stages.Train;

namespace Fkd.Stages.Tests.Train;

[Collection(TorchCollection.Name)]
public sealed class TrainingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fkd-training-" + Guid.NewGuid().ToString("N"));

    public TrainingTests() => TorchRuntime.PrepareProcess();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    /// <summary>Dark noisy images with one bright 3x3 dot; targets are the dot's centre, normalised,
    /// repeated for every keypoint (outputs / 2 of them), some marked missing.</summary>
    internal static TrainingSet Dots(int count, int outputs, int seed, double missing = 0)
    {
        var rng = new Random(seed);
        var pixels = new byte[count * 9216];
        var targets = new float[count * outputs];
        for (var i = 0; i < count; i++)
        {
            var x = rng.Next(20, 76);
            var y = rng.Next(20, 76);
            var img = pixels.AsSpan(i * 9216, 9216);
            for (var p = 0; p < img.Length; p++) img[p] = (byte)(rng.NextDouble() * 25.5);
            for (var dy = -1; dy <= 1; dy++)
                for (var dx = -1; dx <= 1; dx++)
                    img[(y + dy) * 96 + x + dx] = 255;
            for (var k = 0; k < outputs / 2; k++)
            {
                var gone = rng.NextDouble() < missing;
                targets[i * outputs + 2 * k] = gone ? float.NaN : (x - 48f) / 48f;
                targets[i * outputs + 2 * k + 1] = gone ? float.NaN : (y - 48f) / 48f;
            }
        }
        return new TrainingSet(count, pixels, targets);
    }

    /// <summary>The predictor's input: pixels / 255 as floats.</summary>
    private static float[] Scaled(byte[] pixels) => [.. pixels.Select(b => b / 255f)];

    private static TrainParams Small(int epochs) => new(
        Model: "cnn-small", Epochs: epochs, BatchSize: 16, LearningRate: 3e-3, Schedule: LrSchedule.None, Seed: 7)
    {
        Threads = 2, Device = TorchDevice.Cpu,
    };

    [Fact]
    public void Training_on_dots_lowers_the_loss()
    {
        var train = Dots(64, 2, seed: 1);
        var validation = Dots(32, 2, seed: 2);
        var seen = new List<EpochMetrics>();
        var result = Trainer.Train(train, validation, Small(6), _dir, seen.Add, CancellationToken.None);

        Assert.Equal(6, result.Epochs.Count);
        Assert.Equal(seen, result.Epochs);
        Assert.True(result.Epochs[^1].TrainLoss < result.Epochs[0].TrainLoss * 0.5,
            $"loss {result.Epochs[0].TrainLoss} -> {result.Epochs[^1].TrainLoss}");
        Assert.All(result.Epochs, e => Assert.True(e.ValidationRmse is > 0 and < 200));
        Assert.True(File.Exists(result.ModelFile));
        Assert.InRange(result.BestEpoch, 1, 6);
        Assert.Equal(result.Epochs.Min(e => e.ValidationRmse), result.BestValidationRmse);
    }

    [Fact]
    public void Missing_targets_do_not_break_training()
    {
        var train = Dots(32, 30, seed: 3, missing: 0.5);
        var result = Trainer.Train(train, train, Small(2) with { Model = "mlp" }, _dir, null, CancellationToken.None);
        Assert.All(result.Epochs, e => Assert.True(double.IsFinite(e.TrainLoss) && double.IsFinite(e.ValidationRmse!.Value)));
    }

    [Fact]
    public void Resume_continues_after_the_saved_epoch_and_matches_an_uninterrupted_run()
    {
        var train = Dots(48, 2, seed: 4);
        var options = Small(3);

        using var cts = new CancellationTokenSource();
        var first = new List<int>();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(train, null, options, _dir,
            m => { first.Add(m.Epoch); if (m.Epoch == 2) cts.Cancel(); }, cts.Token));
        Assert.Equal([1, 2], first);

        var second = new List<int>();
        var resumed = Trainer.Train(train, null, options, _dir, m => second.Add(m.Epoch), CancellationToken.None);
        Assert.Equal([3], second);
        Assert.Equal([1, 2, 3], resumed.Epochs.Select(e => e.Epoch));

        // Finished: calling again trains nothing and returns the same result.
        var again = Trainer.Train(train, null, options, _dir, m => Assert.Fail("no epoch expected"), CancellationToken.None);
        Assert.Equal(resumed.Epochs.Select(e => e.TrainLoss), again.Epochs.Select(e => e.TrainLoss));

        var straight = Trainer.Train(train, null, options, Path.Combine(_dir, "straight"), null, CancellationToken.None);
        for (var i = 0; i < 3; i++)
            Assert.Equal(straight.Epochs[i].TrainLoss, resumed.Epochs[i].TrainLoss, 4);
    }

    [Fact]
    public void Early_stopping_ends_when_validation_stops_improving()
    {
        // Learning rate 0 and no BatchNorm or dropout: the validation RMSE never improves after epoch 1.
        var train = Dots(16, 2, seed: 10);
        var options = Small(5) with { Model = "mlp", LearningRate = 0, Dropout = 0, Patience = 2 };
        var result = Trainer.Train(train, train, options, _dir, null, CancellationToken.None);
        Assert.True(result.StoppedEarly);
        Assert.Equal(1, result.BestEpoch);
        Assert.Equal([1, 2, 3], result.Epochs.Select(e => e.Epoch));
        Assert.EndsWith(Trainer.FinalModelFile, result.ModelFile);
    }

    [Fact]
    public void Resume_refuses_a_checkpoint_from_other_options()
    {
        var train = Dots(16, 2, seed: 5);
        Trainer.Train(train, null, Small(1), _dir, null, CancellationToken.None);
        Assert.Throws<InvalidOperationException>(() =>
            Trainer.Train(train, null, Small(1) with { LearningRate = 0.1 }, _dir, null, CancellationToken.None));
    }

    [Fact]
    public void Predictor_round_trip_with_flip_tta_gives_pixel_values()
    {
        var train = Dots(32, 30, seed: 6);
        var result = Trainer.Train(train, null, Small(2), _dir, null, CancellationToken.None);
        var test = Scaled(Dots(5, 30, seed: 7).Pixels);
        var o = new ModelOptions(0.1);

        var plain = Predictor.Predict(result.ModelFile, "cnn-small", 30, test, 5, flipTta: false, o);
        var tta = Predictor.Predict(result.ModelFile, "cnn-small", 30, test, 5, flipTta: true, o);
        Assert.Equal(5 * 30, tta.Length);
        Assert.All(tta, v => Assert.True(float.IsFinite(v) && v is >= -50 and <= 150, $"value {v}"));
        Assert.All(plain, v => Assert.True(float.IsFinite(v) && v is >= -50 and <= 150, $"value {v}"));
        Assert.NotEqual(plain, tta);
    }

    [Fact]
    public void Flip_tta_of_a_mirrored_image_mirrors_the_answer()
    {
        // TTA(flip(img)) must equal mirror(TTA(img)): both average the same two forward passes.
        var train = Dots(16, 30, seed: 8);
        var result = Trainer.Train(train, null, Small(1), _dir, null, CancellationToken.None);
        var img = Scaled(Dots(1, 30, seed: 9).Pixels);
        var mirrored = new float[9216];
        for (var r = 0; r < 96; r++)
            for (var c = 0; c < 96; c++)
                mirrored[r * 96 + c] = img[r * 96 + 95 - c];
        var o = new ModelOptions(0.1);
        var a = Predictor.Predict(result.ModelFile, "cnn-small", 30, img, 1, true, o);
        var b = Predictor.Predict(result.ModelFile, "cnn-small", 30, mirrored, 1, true, o);
        for (var k = 0; k < 15; k++)
        {
            var p = Keypoints.FlipPermutation[k];
            Assert.Equal(95f - a[2 * k], b[2 * p], 3);
            Assert.Equal(a[2 * k + 1], b[2 * p + 1], 3);
        }
    }

    [Fact]
    public void Flip_map_covers_full_and_four_keypoint_layouts()
    {
        Assert.Equal(Keypoints.FlipPermutation, Predictor.FlipMap(30)!);
        Assert.Equal(new[] { 1, 0, 2, 3 }, Predictor.FlipMap(8)!);
        Assert.Null(Predictor.FlipMap(2));
    }
}
