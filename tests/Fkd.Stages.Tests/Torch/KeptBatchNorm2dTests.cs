using Fkd.Stages.Torch;
using static TorchSharp.torch;

namespace Fkd.Stages.Tests.Torch;

/// <summary>KeptBatchNorm2d must be TorchSharp's BatchNorm2d but for the Scalars it keeps: same state, same numbers.</summary>
[Collection(TorchCollection.Name)]
public sealed class KeptBatchNorm2dTests
{
    [Fact]
    public void It_holds_the_same_state_under_the_same_names_in_the_same_order()
    {
        TorchRuntime.PrepareProcess();
        using var ours = new KeptBatchNorm2d(8);
        using var theirs = nn.BatchNorm2d(8);
        Assert.Equal(theirs.state_dict().Keys.ToArray(), ours.state_dict().Keys.ToArray());
        Assert.Equal(theirs.parameters().Select(p => p.shape).ToArray(), ours.parameters().Select(p => p.shape).ToArray());
    }

    [Theory]
    [InlineData(1e-5, 0.1)]
    [InlineData(1e-3, 0.1)]   // Inception V3's eps
    public void Training_steps_and_evaluation_give_the_same_numbers_bit_for_bit(double eps, double momentum)
    {
        TorchRuntime.PrepareProcess();
        using var scope = NewDisposeScope();
        using var ours = new KeptBatchNorm2d(4, eps, momentum);
        using var theirs = nn.BatchNorm2d(4, eps, momentum);
        using (no_grad())
        {
            // Non-trivial affine parameters, the same in both.
            ours.weight!.copy_(linspace(0.5, 1.5, 4));
            theirs.weight!.copy_(linspace(0.5, 1.5, 4));
            ours.bias!.copy_(linspace(-0.2, 0.3, 4));
            theirs.bias!.copy_(linspace(-0.2, 0.3, 4));
        }
        manual_seed(7);
        for (var step = 0; step < 3; step++)
        {
            var x = randn(5, 4, 6, 6) * 2 + 1;
            Assert.True(Same(ours.forward(x), theirs.forward(x)), $"training step {step}");
        }
        Assert.True(Same(ours.running_mean!, theirs.running_mean!));
        Assert.True(Same(ours.running_var!, theirs.running_var!));
        Assert.Equal(3L, ours.num_batches_tracked!.item<long>());
        Assert.Equal(theirs.num_batches_tracked!.item<long>(), ours.num_batches_tracked!.item<long>());

        ours.eval();
        theirs.eval();
        var y = randn(2, 4, 6, 6);
        Assert.True(Same(ours.forward(y), theirs.forward(y)), "evaluation");
        Assert.Equal(3L, ours.num_batches_tracked!.item<long>());   // evaluation counts nothing
    }

    private static bool Same(Tensor a, Tensor b) => a.equal(b).all().item<bool>();

    [Fact]
    public void It_wants_four_dimensions_as_TorchSharps_does()
    {
        TorchRuntime.PrepareProcess();
        using var bn = new KeptBatchNorm2d(4);
        using var x = randn(5, 4);
        Assert.Throws<ArgumentException>(() => bn.forward(x));
    }
}
