using Fkd.Stages.Torch;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Fkd.Stages.Tests.Torch;

[Collection(TorchCollection.Name)]
public sealed class ModelFactoryTests(ITestOutputHelper output)
{
    private static readonly ModelOptions Options = new(0.1);

    [Theory]
    // NaimishNet: convs 544 + 18,496 + 32,896 + 33,024; fc 6400*1000+1000, 1000*1000+1000, 1000*30+30.
    [InlineData("naimishnet", 7_516_990, 7_516_990)]
    // Torchvision's ResNet-18 has 11.69 M; a 1-channel stem and 30 outputs instead of 1000 take ~0.5 M off.
    [InlineData("resnet18", 11_000_000, 11_400_000)]
    // Torchvision's ResNet-34 has 21.80 M; the same adaptation.
    [InlineData("resnet34", 21_100_000, 21_500_000)]
    // cnn-medium: cnn-small's 1,285,246 and three stride-1 convs with their BatchNorms: 32·32·9+32+64, 64·64·9+64+128, 128·128·9+128+256.
    [InlineData("cnn-medium", 1_479_454, 1_479_454)]
    // cnn-wide: cnn-medium's seven convs at twice the filters (32..256), each with its BatchNorm, 1,164,288 in all; fc 256·6·6·256+256, 256·30+30.
    [InlineData("cnn-wide", 3_531_550, 3_531_550)]
    public void Parameter_count_is_in_range(string name, long min, long max)
    {
        TorchRuntime.PrepareProcess();
        using var model = ModelFactory.Create(name, 30, Options);
        var count = ModelFactory.ParameterCount(model);
        output.WriteLine($"{name}: {count:N0} parameters (30 outputs)");
        Assert.InRange(count, min, max);
    }

    [Theory]
    [InlineData("naimishnet", 30)]
    [InlineData("naimishnet", 8)]
    [InlineData("resnet34", 30)]
    [InlineData("cnn-medium", 30)]
    [InlineData("cnn-medium", 8)]
    [InlineData("cnn-wide", 30)]
    public void Forward_gives_one_row_of_outputs_per_image(string name, int outputs)
    {
        TorchRuntime.PrepareProcess();
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(name, outputs, Options);
        model.eval();
        using var _ = no_grad();
        var y = model.forward(rand(2, 1, 96, 96));
        Assert.Equal(new long[] { 2, outputs }, y.shape);
        Assert.True(y.isfinite().all().item<bool>());
    }

    [Fact]
    public void New_models_are_accepted_by_name()
    {
        Assert.Contains("naimishnet", ModelFactory.Names);
        Assert.Contains("resnet34", ModelFactory.Names);
        Assert.Throws<ArgumentException>(() => ModelFactory.Create("resnet50", 30, Options));
    }
}
