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
