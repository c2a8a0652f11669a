using System.Diagnostics;
using Fkd.Stages.Torch;
using Xunit.Abstractions;
using Fkd.Stages.Tests.Torch;
using Fkd.Stages.Train;

namespace Fkd.Stages.Tests.Train;

/// <summary>The trainer opens a dispose scope per batch: resident memory must stay flat over epochs.</summary>
[Collection(TorchCollection.Name)]
public sealed class MemoryTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fkd-memory-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public void Resident_memory_stays_flat_over_ten_epochs()
    {
        TorchRuntime.PrepareProcess();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var train = TrainingTests.Dots(256, 30, seed: 11, missing: 0.3);
        var options = new TrainParams(Model: "cnn-small", Epochs: 10, BatchSize: 32, LearningRate: 1e-3,
            Schedule: LrSchedule.None, Seed: 3) { Threads = 2, Device = TorchDevice.Cpu };
        var resident = new Dictionary<int, long>();

        var sw = Stopwatch.StartNew();
        Trainer.Train(train, null, options, _dir, m =>
        {
            // Aggressive: also hands freed managed memory back to the OS, so what earlier tests in this
            // process left behind cannot shrink (or swell) the reading and mask what training does.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            using var p = Process.GetCurrentProcess();
            p.Refresh();
            resident[m.Epoch] = p.WorkingSet64;
            output.WriteLine($"epoch {m.Epoch}: {p.WorkingSet64 / 1048576.0:F1} MiB resident, loss {m.TrainLoss:F5}, {m.Seconds:F2} s");
        }, CancellationToken.None);
        output.WriteLine($"total {sw.Elapsed.TotalSeconds:F1} s");

        var ratio = (double)resident[10] / resident[2];
        Assert.True(Math.Abs(ratio - 1) <= 0.10,
            $"resident memory after epoch 10 is {ratio:P1} of that after epoch 2 ({resident[10]:N0} vs {resident[2]:N0} bytes)");
    }
}
