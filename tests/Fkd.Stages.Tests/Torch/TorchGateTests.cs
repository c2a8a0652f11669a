using Fkd.Stages.Torch;
using static TorchSharp.torch;

namespace Fkd.Stages.Tests.Torch;

[Collection(TorchCollection.Name)]
public sealed class TorchGateTests
{
    [Fact]
    public void Stages_wanting_the_same_threads_share_the_gate_and_another_count_waits()
    {
        TorchRuntime.PrepareProcess();
        using (var a = TorchGate.Enter(1))
        using (var b = TorchGate.Enter(1))
        {
            Assert.Equal((2, 1), TorchGate.Now);
            Assert.Equal(1, get_num_threads());
            var two = Task.Run(() =>
            {
                using var c = TorchGate.Enter(2);
                return (TorchGate.Now, get_num_threads());
            });
            Assert.False(two.Wait(300)); // two one-thread stages are inside: a two-thread one waits
            a.Dispose();
            Assert.False(two.Wait(300));
            b.Dispose();
            Assert.True(two.Wait(5000));
            Assert.Equal(((1, 2), 2), two.Result);
        }
        Assert.Equal((0, 0), TorchGate.Now);
    }

    [Fact]
    public void A_waiting_stage_can_be_cancelled()
    {
        using var inside = TorchGate.Enter(1);
        using var cts = new CancellationTokenSource(300);
        Assert.ThrowsAny<OperationCanceledException>(() => TorchGate.Enter(2, cts.Token));
        Assert.Equal((1, 1), TorchGate.Now);
    }

    [Fact]
    public void Zero_threads_means_all_cores() => Assert.Equal(Environment.ProcessorCount, TorchGate.Resolve(0));
}
