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

    [Fact]
    public void It_starts_at_the_current_weights_and_moves_each_entry_by_one_minus_the_decay()
    {
        using var scope = NewDisposeScope();
        using var current = Model(1);
        current.train();
        using var shadow = Model(2);
        using var average = new WeightAverage(shadow, current, decay: 0.75);
        foreach (var (k, v) in current.state_dict())
            Assert.True(v.equal(shadow.state_dict()[k]).all().item<bool>(), $"{k} not copied at the start");

        var before = shadow.state_dict().ToDictionary(e => e.Key, e => e.Value.clone());
        current.forward(rand(4, 1, 96, 96));          // batch norm: running statistics and the batch count move
        using (no_grad())
            foreach (var p in current.parameters()) p.add_(ones_like(p));
        average.Update();

        foreach (var (k, now) in current.state_dict())
        {
            var averaged = shadow.state_dict()[k];
            if (now.is_floating_point())
            {
                var expected = before[k] * 0.75 + now * 0.25;
                Assert.True(averaged.allclose(expected, rtol: 1e-6, atol: 1e-7), $"{k} not averaged");
            }
            else Assert.True(averaged.equal(now).all().item<bool>(), $"{k} not copied");
        }
        Assert.Equal(1L, shadow.state_dict().Single(e => e.Key.EndsWith("num_batches_tracked") && e.Key.StartsWith("bn1")).Value.item<long>());
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
        Model: "cnn-small", Epochs: 3, BatchSize: 16, LearningRate: 3e-3, Schedule: LrSchedule.None, Seed: 7, Ema: ema)
    {
        Threads = 2, Device = TorchDevice.Cpu,
    };

    [Fact]
    public void Training_validates_and_keeps_the_average()
    {
        // A decay so close to 1 that six epochs leave the average at the starting weights: validation scores
        // them at every epoch, and the model file holds them, while the trained weights have moved.
        var train = TrainingTests.Dots(64, 2, seed: 1);
        var averaged = Trainer.Train(train, train, Options(0.999999) with { Epochs = 6 }, Path.Combine(_dir, "ema"), null, CancellationToken.None);
        var raw = Trainer.Train(train, train, Options(0) with { Epochs = 6 }, Path.Combine(_dir, "raw"), null, CancellationToken.None);

        Assert.Equal(raw.Epochs.Select(e => e.TrainLoss), averaged.Epochs.Select(e => e.TrainLoss));   // the same training
        var first = averaged.Epochs[0].ValidationRmse!.Value;
        Assert.All(averaged.Epochs, e => Assert.Equal(first, e.ValidationRmse!.Value, 0.002 * first));
        Assert.True(Math.Abs(raw.Epochs[^1].ValidationRmse!.Value - first) > 0.01 * first, $"raw {raw.Epochs[^1].ValidationRmse} against the average's {first}");

        using var kept = ModelFactory.Create("cnn-small", 2, new ModelOptions());
        kept.load(averaged.ModelFile);
        random.manual_seed(7);
        using var initial = ModelFactory.Create("cnn-small", 2, new ModelOptions());
        foreach (var (a, b) in kept.parameters().Zip(initial.parameters()))
            Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void A_resumed_training_with_an_average_matches_an_uninterrupted_one()
    {
        var train = TrainingTests.Dots(48, 2, seed: 5);
        var options = Options(0.9);
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
