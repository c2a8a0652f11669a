using Fkd.Stages.Torch;
using static TorchSharp.torch;
using Fkd.Stages.Train;

namespace Fkd.Stages.Tests.Torch;

[Collection(TorchCollection.Name)]
public sealed class TorchOpsTests
{
    public TorchOpsTests() => TorchRuntime.PrepareProcess();

    [Fact]
    public void Ones_sum_is_three()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(3f, ones(3).sum().item<float>());
    }

    [Fact]
    public void Conv2d_forward_and_backward_run()
    {
        using var scope = NewDisposeScope();
        using var conv = nn.Conv2d(1, 4, 3, padding: 1);
        var x = rand(2, 1, 8, 8);
        var y = conv.forward(x);
        Assert.Equal(new long[] { 2, 4, 8, 8 }, y.shape);
        y.sum().backward();
        var grad = conv.weight!.grad;
        Assert.NotNull(grad);
        Assert.Equal(new long[] { 4, 1, 3, 3 }, grad!.shape);
        Assert.True(grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Devices_resolve_to_what_this_build_has()
    {
        Assert.Equal("cpu", TorchRuntime.DeviceName(TorchDevice.Cpu));
        // The CPU build ships no CUDA library: auto falls back to the CPU, an explicit cuda is an error.
        Assert.Equal(cuda.is_available() ? "cuda" : "cpu", TorchRuntime.DeviceName(TorchDevice.Auto));
        if (!cuda.is_available()) Assert.Throws<InvalidOperationException>(() => TorchRuntime.DeviceName(TorchDevice.Cuda));
    }

    [Fact]
    public void Masked_mse_ignores_missing_targets()
    {
        using var scope = NewDisposeScope();
        var pred = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]).requires_grad_(true);
        var target = tensor(new float[] { 1.5f, float.NaN, float.NaN, 2 }, [2, 2]);
        var loss = MaskedLoss.Mse(pred, target);
        // ((1 - 1.5)^2 + (4 - 2)^2) / 2 = (0.25 + 4) / 2
        Assert.Equal(2.125f, loss.item<float>(), 5);
        loss.backward();
        var g = pred.grad!.data<float>().ToArray();
        // d/dp of sum(...)/2 = (p - t) for present entries, 0 where missing
        Assert.Equal(new[] { -0.5f, 0f, 0f, 2f }, g);
    }

    [Fact]
    public void Masked_mse_with_nothing_present_is_zero_not_nan()
    {
        using var scope = NewDisposeScope();
        var loss = MaskedLoss.Mse(ones(2, 2), full(2, 2, float.NaN));
        Assert.Equal(0f, loss.item<float>());
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("lenet5")]
    [InlineData("cnn-small")]
    [InlineData("conv5")]
    [InlineData("conv10")]
    [InlineData("resnet18")]
    public void Every_model_maps_images_to_outputs(string name)
    {
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(name, 30, new ModelOptions());
        model.eval();
        using var _ = no_grad();
        var y = model.forward(rand(2, 1, 96, 96));
        Assert.Equal(new long[] { 2, 30 }, y.shape);
        Assert.True(ModelFactory.ParameterCount(model) > 0);
    }

    [Fact]
    public void Conv10_has_about_seven_million_parameters()
    {
        using var model = ModelFactory.Create("conv10", 30, new ModelOptions());
        var n = ModelFactory.ParameterCount(model);
        Assert.InRange(n, 7_000_000, 7_200_000);
    }
}
