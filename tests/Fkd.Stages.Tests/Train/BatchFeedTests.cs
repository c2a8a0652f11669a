using Fkd.Stages.Train;

namespace Fkd.Stages.Tests.Train;

public sealed class BatchFeedTests
{
    /// <summary>Image i is filled with grey level i (mod 256); its one target is i.</summary>
    private static TrainingSet Numbered(int count)
    {
        var pixels = new byte[count * TrainingSet.PixelsPerImage];
        for (var i = 0; i < count; i++) pixels.AsSpan(i * TrainingSet.PixelsPerImage, TrainingSet.PixelsPerImage).Fill((byte)(i % 256));
        return new TrainingSet(count, pixels, [.. Enumerable.Range(0, count).Select(i => (float)i)]);
    }

    private static int[] Shuffled(int n, int seed)
    {
        var a = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(a);
        return a;
    }

    [Theory]
    [InlineData(100, 16, 1)]  // a short last batch of 4
    [InlineData(96, 16, 3)]   // whole batches only
    [InlineData(5, 64, 2)]    // fewer images than one batch
    public void Batches_come_in_the_given_order_with_scaled_pixels_and_their_targets(int count, int batchSize, int prefetch)
    {
        var set = Numbered(count);
        var order = Shuffled(count, seed: count);
        var seen = new List<int>();
        using (var feed = BatchFeed.Start(set, order, batchSize, prefetch))
        {
            while (feed.Next() is { } b)
            {
                Assert.Equal(seen.Count, b.Start);
                Assert.Equal(Math.Min(batchSize, count - b.Start), b.Count);
                for (var i = 0; i < b.Count; i++)
                {
                    var id = (int)b.Targets[i];
                    seen.Add(id);
                    Assert.Equal((id % 256) * (1f / 255f), b.Pixels[i * TrainingSet.PixelsPerImage]);
                    Assert.Equal((id % 256) * (1f / 255f), b.Pixels[(i + 1) * TrainingSet.PixelsPerImage - 1]);
                }
                feed.Return(b);
            }
            Assert.Null(feed.Next());
        }
        Assert.Equal(order, seen);
    }

    [Fact]
    public async Task The_worker_stays_at_most_prefetch_batches_ahead_and_reuses_its_buffers()
    {
        var set = Numbered(64);
        using var feed = BatchFeed.Start(set, Enumerable.Range(0, 64).ToArray(), batchSize: 4, prefetch: 2);
        var first = feed.Next()!;
        await Task.Delay(200); // time enough for an unbounded worker to run through all 16 batches
        var held = new List<HostBatch> { first };
        // Without returning any buffer only the ring's other two can be filled.
        held.Add(feed.Next()!);
        held.Add(feed.Next()!);
        Assert.Equal(3, held.Select(b => b.Pixels).Distinct().Count());
        var stuck = Task.Run(() => feed.Next());
        Assert.NotSame(stuck, await Task.WhenAny(stuck, Task.Delay(200))); // no fourth batch while every buffer is held
        feed.Return(held[0]);
        var fourth = await stuck.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Same(held[0].Pixels, fourth!.Pixels);
    }

    [Fact]
    public void Disposing_mid_epoch_stops_the_worker_and_cancellation_surfaces_to_the_reader()
    {
        var set = Numbered(64);
        using var cts = new CancellationTokenSource();
        var feed = BatchFeed.Start(set, Enumerable.Range(0, 64).ToArray(), batchSize: 4, prefetch: 2, cts.Token);
        Assert.NotNull(feed.Next(cts.Token));
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => { while (feed.Next(cts.Token) is { } b) feed.Return(b); });
        feed.Dispose(); // returns: the worker has ended
    }

    [Fact]
    public void An_order_naming_an_image_outside_the_set_faults_the_feed_with_the_workers_error()
    {
        var set = Numbered(8);
        using var feed = BatchFeed.Start(set, [0, 1, 2, 99], batchSize: 2, prefetch: 1);
        var b = feed.Next()!; // the good batch before the bad one still arrives
        Assert.Equal([0f, 1f], b.Targets);
        feed.Return(b);
        Assert.ThrowsAny<ArgumentException>(() => feed.Next());
        Assert.Null(feed.Next()); // once raised, the feed is over
    }
}
