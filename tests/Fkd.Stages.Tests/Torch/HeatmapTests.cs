using Fkd.Stages.Tests.Train;
using Fkd.Stages.Torch;
using Fkd.Stages.Train;
using TorchSharp;
using static TorchSharp.torch;

namespace Fkd.Stages.Tests.Torch;

[Collection(TorchCollection.Name)]
public sealed class HeatmapTests
{
    [Fact]
    public void Soft_argmax_of_a_peaked_map_is_that_pixel()
    {
        TorchRuntime.PrepareProcess();
        using var scope = NewDisposeScope();
        // Full resolution: cell (u, v) is pixel (u, v). Two maps, peaks at x = 7, y = 80 and x = 95, y = 0.
        var logits = full(1, 2, 96, 96, -50f);
        logits[0, 0, 80, 7] = tensor(50f);
        logits[0, 1, 0, 95] = tensor(50f);
        var p = SoftArgmax.Decode(logits, 96).data<float>().ToArray();
        Assert.Equal([7f, 80f, 95f, 0f], p.Select(v => MathF.Round(v, 3)));
        // Half resolution (the model's 48x48 maps): cell (u, v) covers pixels 2u, 2u+1; its centre is 2u + 0.5.
        var half = full(1, 1, 48, 48, -50f);
        half[0, 0, 20, 10] = tensor(50f);
        var q = SoftArgmax.Decode(half, 96).data<float>().ToArray();
        Assert.Equal(20.5f, q[0], 3);
        Assert.Equal(40.5f, q[1], 3);
        // A flat map answers the centre of the image, (95 / 2, 95 / 2).
        var flat = SoftArgmax.Decode(zeros(1, 1, 48, 48), 96).data<float>().ToArray();
        Assert.Equal(47.5f, flat[0], 3);
        Assert.Equal(47.5f, flat[1], 3);
    }

    [Fact]
    public void Trains_a_few_steps_on_synthetic_dots_with_a_falling_loss()
    {
        TorchRuntime.PrepareProcess();
        using var gate = TorchGate.Enter(1);
        random.manual_seed(11);
        var set = TrainingTests.Dots(32, 30, seed: 4, missing: 0.3);
        using var model = ModelFactory.Create("heatmap", 30, new ModelOptions(0.1));
        using var optimizer = optim.Adam(model.parameters(), 3e-3);
        var x = tensor(set.Pixels.Select(b => b / 255f).ToArray(), [set.Count, 1, 96, 96]);
        var y = tensor(set.Targets, [set.Count, 30]);
        model.train();
        var losses = new List<float>();
        for (var step = 0; step < 12; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = MaskedLoss.Mse(model.forward(x), y);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        Assert.All(losses, l => Assert.True(float.IsFinite(l)));
        Assert.True(losses.TakeLast(3).Average() < losses[0] * 0.5, $"loss {string.Join(", ", losses.Select(l => l.ToString("F4")))}");
    }
}
