using Fkd.Stages.Tests.Torch;
using Fkd.Stages.Torch;
using Fkd.Stages.Train;
using static TorchSharp.torch;

namespace Fkd.Stages.Tests.Train;

[Collection(TorchCollection.Name)]
public sealed class WeightAverageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-average-").FullName;

    public WeightAverageTests() => TorchRuntime.PrepareProcess();

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static nn.Module<Tensor, Tensor> Model(int seed)
    {
        random.manual_seed(seed);
        return ModelFactory.Create("cnn-small", 30, new ModelOptions(0));
    }

    [Theory]
    [InlineData(0.75, 1, 0.0)]              // the first step takes the current weights whole
    [InlineData(0.75, 2, 0.75 * 0.25 / (1 - 0.75 * 0.75))]
    [InlineData(0.999, 1_000_000, 0.999)]   // and the share kept tends to the decay
    public void The_share_kept_is_the_bias_corrected_decay(double decay, long step, double expected) =>
        Assert.Equal(expected, WeightAverage.Kept(decay, step), 1e-12);

    [Fact]
    public void It_is_the_decay_weighted_mean_of_the_steps_and_copies_the_counts()
    {
        using var scope = NewDisposeScope();
        using var current = Model(1);
        current.train();
        using var average = new WeightAverage(Model(2), current, decay: 0.75);
        foreach (var (k, v) in current.state_dict())
            Assert.True(v.equal(average.Model.state_dict()[k]).all().item<bool>(), $"{k} not copied at the start");

        // Three steps of the trained model's state: the average is Σ 0.75^(3−i) x_i / Σ 0.75^(3−i).
        var seen = new List<Dictionary<string, Tensor>>();
        for (var step = 0; step < 3; step++)
        {
            current.forward(rand(4, 1, 96, 96));          // batch norm: running statistics and the batch count move
            using (no_grad())
                foreach (var p in current.parameters()) p.add_(randn_like(p));
            seen.Add(current.state_dict().ToDictionary(e => e.Key, e => e.Value.clone()));
            average.Update();
        }
        Assert.Equal(3L, average.Steps);

        double[] w = [0.75 * 0.75, 0.75, 1];
        foreach (var (k, now) in current.state_dict())
        {
            var averaged = average.Model.state_dict()[k];
            if (now.is_floating_point())
            {
                var expected = (seen[0][k] * w[0] + seen[1][k] * w[1] + seen[2][k] * w[2]) / w.Sum();
                Assert.True(averaged.allclose(expected, rtol: 1e-5, atol: 1e-6), $"{k} not the weighted mean");
            }
            else Assert.True(averaged.equal(now).all().item<bool>(), $"{k} not copied");
        }
        Assert.Equal(3L, average.Model.state_dict().Single(e => e.Key == "bn1.num_batches_tracked").Value.item<long>());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void It_refuses_a_decay_outside_zero_to_one(double decay)
    {
        using var a = Model(1);
        using var b = Model(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAverage(b, a, decay));
    }

    private static TrainParams Options(double ema) => new(
        Model: "cnn-small", Epochs: 4, BatchSize: 16, LearningRate: 3e-3, Schedule: LrSchedule.None, Seed: 7, Ema: ema)
    {
        Threads = 2, Device = TorchDevice.Cpu,
    };

    [Fact]
    public void Training_validates_and_keeps_the_average()
    {
        var train = TrainingTests.Dots(64, 2, seed: 1);
        var averaged = Trainer.Train(train, train, Options(0.9), Path.Combine(_dir, "ema"), null, CancellationToken.None);
        var raw = Trainer.Train(train, train, Options(0), Path.Combine(_dir, "raw"), null, CancellationToken.None);

        // The same training (the average only watches it), scored and saved through the average.
        Assert.Equal(raw.Epochs.Select(e => e.TrainLoss), averaged.Epochs.Select(e => e.TrainLoss));
        Assert.NotEqual(raw.Epochs.Select(e => e.ValidationRmse), averaged.Epochs.Select(e => e.ValidationRmse));
        Assert.NotEqual(File.ReadAllBytes(raw.ModelFile), File.ReadAllBytes(averaged.ModelFile));
        // An average over the last few steps scores about as the weights it averages.
        Assert.Equal(raw.Epochs[^1].ValidationRmse!.Value, averaged.Epochs[^1].ValidationRmse!.Value, 0.1 * raw.Epochs[^1].ValidationRmse!.Value);
    }

    [Fact]
    public void A_resumed_training_with_an_average_matches_an_uninterrupted_one()
    {
        var train = TrainingTests.Dots(48, 2, seed: 5);
        var options = Options(0.9) with { Epochs = 3 };
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(train, train, options, Path.Combine(_dir, "resumed"),
            m => { if (m.Epoch == 2) cts.Cancel(); }, cts.Token));
        var resumed = Trainer.Train(train, train, options, Path.Combine(_dir, "resumed"), null, CancellationToken.None);
        var straight = Trainer.Train(train, train, options, Path.Combine(_dir, "straight"), null, CancellationToken.None);

        Assert.Equal(straight.Epochs.Select(e => e.TrainLoss), resumed.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(straight.Epochs.Select(e => e.ValidationRmse), resumed.Epochs.Select(e => e.ValidationRmse));
        Assert.Equal(File.ReadAllBytes(straight.ModelFile), File.ReadAllBytes(resumed.ModelFile));
    }
}
