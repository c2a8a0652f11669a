using Fkd.Stages.Tests.Train;
using Fkd.Stages.Torch;
using Fkd.Stages.Train;
using static TorchSharp.torch;

namespace Fkd.Stages.Tests.Torch;

/// <summary>Channels-last storage changes where the numbers sit in memory, never what they are.</summary>
[Collection(TorchCollection.Name)]
public sealed class ChannelsLastTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fkd-channels-last-" + Guid.NewGuid().ToString("N"));

    public ChannelsLastTests() => TorchRuntime.PrepareProcess();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Theory]
    [InlineData("cnn-medium")]
    [InlineData("resnet18")]
    [InlineData("local2d5")]
    public void Apply_relays_every_4d_weight_and_keeps_its_values(string model)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var m = ModelFactory.Create(model, 30, new ModelOptions());
        var before = m.parameters().Select(p => p.detach().clone()).ToList();
        var objects = m.parameters().ToList();
        Assert.Contains(objects, p => p.dim() == 4 && !ChannelsLast.IsChannelsLast(p));

        ChannelsLast.Apply(m);

        var after = m.parameters().ToList();
        Assert.Equal(objects.Count, after.Count);
        for (var i = 0; i < after.Count; i++)
        {
            Assert.Same(objects[i], after[i]);                       // an optimizer holding them still holds them
            Assert.True(before[i].equal(after[i]).all().item<bool>(), $"parameter {i} changed value");
            if (after[i].dim() == 4) Assert.True(ChannelsLast.IsChannelsLast(after[i]), $"parameter {i} ({string.Join("x", after[i].shape)}) not channels-last");
        }
        // The one-channel stem is channels-last too: its channel stride is written out as 1.
        Assert.Equal(1L, after.First(p => p.dim() == 4 && p.shape[1] == 1).stride()[1]);
    }

    [Fact]
    public void A_channels_last_model_computes_what_the_nchw_one_does_to_rounding()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var m = ModelFactory.Create("cnn-medium", 30, new ModelOptions());
        m.eval();
        var x = rand(6, 1, 96, 96);
        var nchw = m.forward(x).detach().clone();

        ChannelsLast.Apply(m);
        var input = ChannelsLast.Input(x);
        Assert.True(ChannelsLast.IsChannelsLast(input));
        var cl = m.forward(input);
        x[0, 0, 0, 0] = tensor(7f);                                        // one channel: a view, no copy
        Assert.Equal(7f, input[0, 0, 0, 0].item<float>());

        Assert.True(cl.allclose(nchw, rtol: 1e-4, atol: 1e-5), $"max difference {(cl - nchw).abs().max().item<float>()}");
    }

    [Fact]
    public void Input_copies_a_many_channel_batch_into_channels_last_order()
    {
        using var scope = NewDisposeScope();
        var x = arange(2 * 3 * 4 * 5, dtype: float32).reshape(2, 3, 4, 5);
        var cl = ChannelsLast.Input(x);
        Assert.True(ChannelsLast.IsChannelsLast(cl));
        Assert.Equal(new long[] { 60, 1, 15, 3 }, cl.stride());
        Assert.True(cl.equal(x).all().item<bool>());
        Assert.False(ChannelsLast.IsChannelsLast(x));
    }

    [Fact]
    public void Save_writes_the_ordinary_layout_and_leaves_the_model_channels_last()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var m = ModelFactory.Create("cnn-small", 30, new ModelOptions());
        ChannelsLast.Apply(m);
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "m.bin");

        ChannelsLast.Save(m, path);

        Assert.All(m.parameters().Where(p => p.dim() == 4), p => Assert.True(ChannelsLast.IsChannelsLast(p)));
        using var loaded = ModelFactory.Create("cnn-small", 30, new ModelOptions());
        loaded.load(path);
        foreach (var (a, b) in m.parameters().Zip(loaded.parameters()))
            Assert.True(a.equal(b).all().item<bool>());
        // And the file is the one the same weights in NCHW write.
        var nchwPath = Path.Combine(_dir, "nchw.bin");
        loaded.save(nchwPath);
        Assert.Equal(File.ReadAllBytes(nchwPath), File.ReadAllBytes(path));
    }

    [Fact]
    public void Adam_state_of_channels_last_weights_saves_and_loads()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var m = ModelFactory.Create("cnn-small", 30, new ModelOptions());
        ChannelsLast.Apply(m);
        using var adam = new AdamOptimizer(m.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0);
        var x = ChannelsLast.Input(rand(4, 1, 96, 96));
        var y = rand(4, 30);
        m.forward(x).sub(y).square().mean().backward();
        adam.Step();
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "state.adam");
        adam.Save(path);

        using var m2 = ModelFactory.Create("cnn-small", 30, new ModelOptions());
        ChannelsLast.Apply(m2);
        using var adam2 = new AdamOptimizer(m2.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0);
        adam2.Load(path);
        var resaved = Path.Combine(_dir, "again.adam");
        adam2.Save(resaved);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(resaved));
    }

    [Fact]
    public void Training_in_either_layout_computes_the_same_losses_to_rounding()
    {
        // Learning rate 0: every step sees the same weights, so the epochs' losses differ by rounding alone.
        var (nchw, cl) = TrainBoth(learningRate: 0, epochs: 2);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(nchw.Epochs[i].TrainLoss, cl.Epochs[i].TrainLoss, 1e-5 * nchw.Epochs[i].TrainLoss);
            Assert.Equal(nchw.Epochs[i].ValidationRmse!.Value, cl.Epochs[i].ValidationRmse!.Value, 1e-5 * nchw.Epochs[i].ValidationRmse!.Value);
        }
    }

    [Fact]
    public void Training_in_either_layout_learns_alike()
    {
        // Adam's first steps scale each gradient to about ±lr whatever its size, so rounding in near-zero
        // gradients moves weights visibly and the runs drift apart (about 10% in the loss after 6 epochs here):
        // they agree loosely, and both learn as much.
        var (nchw, cl) = TrainBoth(learningRate: 3e-3, epochs: 6);
        Assert.Equal(nchw.Epochs[^1].TrainLoss, cl.Epochs[^1].TrainLoss, 0.25 * nchw.Epochs[^1].TrainLoss);
        foreach (var run in new[] { nchw, cl })
            Assert.True(run.Epochs[^1].TrainLoss < run.Epochs[0].TrainLoss * 0.2, $"loss {run.Epochs[0].TrainLoss} -> {run.Epochs[^1].TrainLoss}");
    }

    private (TrainResult Nchw, TrainResult ChannelsLast) TrainBoth(double learningRate, int epochs)
    {
        var train = TrainingTests.Dots(64, 2, seed: 1);
        TrainParams Options(TensorLayout layout) => new(Model: "cnn-small", Epochs: epochs, BatchSize: 16, LearningRate: learningRate,
            Schedule: LrSchedule.None, Seed: 7, Layout: layout) { Threads = 1, Device = TorchDevice.Cpu };
        var nchw = Trainer.Train(train, train, Options(TensorLayout.Nchw), Path.Combine(_dir, "nchw"), null, CancellationToken.None);
        var cl = Trainer.Train(train, train, Options(TensorLayout.ChannelsLast), Path.Combine(_dir, "cl"), null, CancellationToken.None);
        return (nchw, cl);
    }
}
