using Fkd.Flow.Exec;

namespace Fkd.Flow.Tests.Exec;

public class RowFlowTests
{
    [Fact]
    public async Task Every_item_arrives_once_through_a_small_bounded_buffer()
    {
        var seen = new List<int>();
        await RowFlow.RunAsync(Enumerable.Range(0, 10_000), x => x * 2, seen.Add, new RowFlow.Options(4, 8), CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 10_000).Select(x => x * 2), seen.Order());
    }

    [Fact]
    public async Task A_fault_in_the_transform_stops_the_flow_and_surfaces_as_itself()
    {
        var produced = 0;
        IEnumerable<int> Source() { for (var i = 0; i < 1_000_000; i++) { produced++; yield return i; } }
        var e = await Assert.ThrowsAsync<InvalidDataException>(() =>
            RowFlow.RunAsync(Source(), x => x == 100 ? throw new InvalidDataException("bad row 100") : x, _ => { }, new RowFlow.Options(2, 16), CancellationToken.None));
        Assert.Equal("bad row 100", e.Message);
        Assert.True(produced < 10_000, $"producer kept going: {produced}");
    }

    [Fact]
    public async Task A_fault_in_the_sink_stops_the_producer()
    {
        var produced = 0;
        IEnumerable<int> Source() { for (var i = 0; i < 1_000_000; i++) { produced++; yield return i; } }
        await Assert.ThrowsAsync<IOException>(() =>
            RowFlow.RunAsync(Source(), x => x, x => { if (x >= 50) throw new IOException("disk full"); }, new RowFlow.Options(2, 16), CancellationToken.None));
        Assert.True(produced < 10_000, $"producer kept going: {produced}");
    }
}

public class OrderedRowFlowTests
{
    private static async IAsyncEnumerable<int> Range(int n, Action<int>? onEach = null)
    {
        for (var i = 0; i < n; i++)
        {
            onEach?.Invoke(i);
            if (i % 97 == 0) await Task.Yield();
            yield return i;
        }
    }

    [Fact]
    public async Task The_sink_sees_the_source_order_whatever_the_threads_did()
    {
        var seen = new List<int>();
        // Uneven work: later items often finish first on another thread.
        var stats = await RowFlow.RunOrderedAsync(Range(3_000), x => { if (x % 7 == 0) Thread.SpinWait(20_000); return x * 3; },
            x => { seen.Add(x); return ValueTask.CompletedTask; }, new RowFlow.Options(4, 8), CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 3_000).Select(x => x * 3), seen);
        Assert.Equal(3_000, stats.Items);
        // Two blocks of 8, plus the item being sent: never more, whatever the item count.
        Assert.InRange(stats.MaxInFlight, 1, 2 * 8 + 1);
    }

    [Fact]
    public async Task A_failing_source_surfaces_as_itself()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => RowFlow.RunOrderedAsync(
            Range(1_000, i => { if (i == 300) throw new InvalidDataException("row group 3 unreadable"); }),
            x => x, _ => ValueTask.CompletedTask, new RowFlow.Options(2, 16), CancellationToken.None));
        Assert.Equal("row group 3 unreadable", e.Message);
    }

    [Fact]
    public async Task A_failing_sink_stops_the_source()
    {
        var produced = 0;
        await Assert.ThrowsAsync<IOException>(() => RowFlow.RunOrderedAsync(Range(1_000_000, _ => produced++), x => x,
            x => x >= 50 ? throw new IOException("disk full") : ValueTask.CompletedTask, new RowFlow.Options(2, 16), CancellationToken.None));
        Assert.True(produced < 10_000, $"source kept going: {produced}");
    }
}
