using Fkd.Stages.Torch;
using static TorchSharp.torch;

namespace Fkd.Stages.Tests.Torch;

[Collection(TorchCollection.Name)]
public sealed class CascadeTests
{
    private static Cascade Build(int outputs) => (Cascade)ModelFactory.Create("cascade", outputs, new ModelOptions(0.1));

    [Fact]
    public void A_crop_is_centred_on_its_estimate()
    {
        TorchRuntime.PrepareProcess();
        using var scope = NewDisposeScope();
        // One bright pixel at x = 30, y = 60 (pixel-index units: column 30, row 60), and a dimmer one at x = 70, y = 20.
        var img = zeros(1, 1, 96, 96);
        img[0, 0, 60, 30] = tensor(1f);
        img[0, 0, 20, 70] = tensor(0.5f);
        var centres = tensor(new float[] { 30, 60, 70, 20, 33, 58 }, [1, 3, 2]);
        var patches = Cascade.Crop(img, centres, Cascade.Patch2);
        Assert.Equal(new long[] { 3, 1, Cascade.Patch2, Cascade.Patch2 }, patches.shape);
        const int mid = (Cascade.Patch2 - 1) / 2;
        Assert.Equal(1f, patches[0, 0, mid, mid].item<float>(), 4);
        Assert.Equal(1f, patches[0].sum().item<float>(), 4);              // nothing else bright in that patch
        Assert.Equal(0.5f, patches[1, 0, mid, mid].item<float>(), 4);
        // Centred 3 px right of and 2 px above the dot: the dot is 3 columns left of and 2 rows below the centre.
        Assert.Equal(1f, patches[2, 0, mid + 2, mid - 3].item<float>(), 4);
        // Half a pixel off: bilinear splits the dot between two samples.
        var half = Cascade.Crop(img, tensor(new float[] { 30.5f, 60 }, [1, 1, 2]), Cascade.Patch3);
        const int m3 = (Cascade.Patch3 - 1) / 2;
        Assert.Equal(0.5f, half[0, 0, m3, m3].item<float>(), 4);
        Assert.Equal(0.5f, half[0, 0, m3, m3 - 1].item<float>(), 4);
    }

    [Fact]
    public void Zero_corrections_leave_level_one_s_estimate()
    {
        TorchRuntime.PrepareProcess();
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var model = Build(30);
        model.eval();
        using var _ = no_grad();
        var x = rand(3, 1, 96, 96);
        // Heads start at zero: the cascade answers level 1.
        Assert.True(model.forward(x).allclose(model.Level1(x)));
        // Non-zero heads move the answer; zeroing them again restores level 1 exactly.
        foreach (var p in model.CorrectionHeads) p.uniform_(-0.5, 0.5);
        Assert.False(model.forward(x).allclose(model.Level1(x)));
        foreach (var p in model.CorrectionHeads) p.zero_();
        Assert.True(model.forward(x).allclose(model.Level1(x), rtol: 0, atol: 0));
    }

    [Fact]
    public void Shapes_and_gradients_reach_every_level()
    {
        TorchRuntime.PrepareProcess();
        using var scope = NewDisposeScope();
        random.manual_seed(6);
        using var model = Build(8);
        model.train();
        var y = model.forward(rand(4, 1, 96, 96));
        Assert.Equal(new long[] { 4, 8 }, y.shape);
        y.square().sum().backward();
        foreach (var p in model.CorrectionHeads)
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, "a correction head got no gradient");
    }
}
