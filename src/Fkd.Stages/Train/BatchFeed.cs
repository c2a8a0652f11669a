using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Dataflow;
using Fkd.Stages.Torch;

namespace Fkd.Stages.Train;

/// <summary>One batch as the model takes it, still on the host: Count images of 9,216 floats in
/// [0, 1] and Count × outputs normalised targets (NaN = missing).</summary>
public sealed record HostBatch(int Start, int Count, float[] Pixels, float[] Targets);

/// <summary>
/// One pass over a training set in a given order, as batches assembled on a worker ahead of the
/// training step and handed over through a bounded Dataflow buffer: gathering and scaling the next
/// batches overlaps the forward and backward pass of the current one. A fixed ring of
/// <c>prefetch + 1</c> full-size buffers bounds memory (the worker waits for one to come back);
/// only a short last batch gets arrays of its own. The batches are exactly those a loop over
/// <c>order</c> would build, in the same sequence, so training results do not depend on the feed.
/// </summary>
public sealed class BatchFeed : IDisposable
{
    private readonly BufferBlock<HostBatch> _ready;
    private readonly BufferBlock<HostBatch> _free;
    private readonly CancellationTokenSource _stop;
    private readonly Task _worker;
    private readonly int _fullSize;
    private bool _done;
    private ExceptionDispatchInfo? _error; // what stopped the worker, raised after the batches before it

    private BatchFeed(TrainingSet set, int[] order, int batchSize, int prefetch, CancellationToken ct)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "a batch holds at least one image");
        if (prefetch < 1) throw new ArgumentOutOfRangeException(nameof(prefetch), "prefetch at least one batch");
        if (order.Length > set.Count) throw new ArgumentException($"the order names {order.Length} images; the set has {set.Count}", nameof(order));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _ready = new BufferBlock<HostBatch>(new DataflowBlockOptions { BoundedCapacity = prefetch, CancellationToken = _stop.Token });
        _free = new BufferBlock<HostBatch>();
        var full = _fullSize = Math.Min(batchSize, Math.Max(1, order.Length));
        for (var i = 0; i <= prefetch; i++)
            _free.Post(new HostBatch(0, full, new float[full * TrainingSet.PixelsPerImage], new float[full * set.Outputs]));
        // The order is copied: the caller may reshuffle its array for the next epoch while this one drains.
        var frozen = (int[])order.Clone();
        _worker = Task.Run(() => Produce(set, frozen, batchSize, full, _stop.Token));
    }

    /// <summary>Starts the worker on <paramref name="order"/> (indices into <paramref name="set"/>).</summary>
    public static BatchFeed Start(TrainingSet set, int[] order, int batchSize, int prefetch = 4, CancellationToken ct = default) =>
        new(set, order, batchSize, prefetch, ct);

    private async Task Produce(TrainingSet set, int[] order, int batchSize, int fullSize, CancellationToken ct)
    {
        try
        {
            for (var start = 0; start < order.Length; start += batchSize)
            {
                var n = Math.Min(batchSize, order.Length - start);
                var buffer = n == fullSize
                    ? await _free.ReceiveAsync(ct).ConfigureAwait(false)
                    : new HostBatch(0, n, new float[n * TrainingSet.PixelsPerImage], new float[n * set.Outputs]);
                var batch = buffer with { Start = start, Count = n };
                Fill(set, order.AsSpan(start, n), batch.Pixels, batch.Targets);
                if (!await _ready.SendAsync(batch, ct).ConfigureAwait(false)) return;
            }
            _ready.Complete();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Disposed or cancelled: the block is cancelled by the same token.
        }
        catch (Exception e)
        {
            // Not Fault(): that would drop the good batches already waiting. They go first.
            _error = ExceptionDispatchInfo.Capture(e);
            _ready.Complete();
        }
    }

    /// <summary>Copies the images named by <paramref name="indices"/>, scaling bytes to [0, 1], and their targets.</summary>
    public static void Fill(TrainingSet set, ReadOnlySpan<int> indices, Span<float> pixels, Span<float> targets)
    {
        const int ppi = TrainingSet.PixelsPerImage;
        var outputs = set.Outputs;
        // A file-backed set: one positional read per image into a scratch record, then the same scaling.
        var record = set.File is null ? null : new byte[ppi];
        for (var i = 0; i < indices.Length; i++)
        {
            var idx = indices[i];
            ReadOnlySpan<byte> grey;
            if (set.File is { } f) { f.Read(idx, record); grey = record; }
            else grey = set.Pixels.AsSpan(idx * ppi, ppi);
            ModelInputs.ScalePixels(grey, pixels.Slice(i * ppi, ppi));
            set.Targets.AsSpan(idx * outputs, outputs).CopyTo(targets.Slice(i * outputs, outputs));
        }
    }

    /// <summary>The next batch in order, or null after the last; rethrows what stopped the worker.
    /// Hand each batch back with <see cref="Return"/> once its contents are copied into tensors.</summary>
    public HostBatch? Next(CancellationToken ct = default)
    {
        if (_done) return null;
        // False once the worker has completed (or the block was cancelled) and nothing is left.
        if (_ready.OutputAvailableAsync(ct).GetAwaiter().GetResult() && _ready.TryReceive(out var batch))
            return batch;
        _done = true;
        _error?.Throw();
        ct.ThrowIfCancellationRequested();
        if (_ready.Completion.IsCanceled) throw new OperationCanceledException(_stop.Token);
        return null;
    }

    public void Return(HostBatch batch)
    {
        // Only ring buffers go back; a short last batch's own arrays are left to the collector.
        if (batch.Pixels.Length == _fullSize * TrainingSet.PixelsPerImage && !_done) _free.Post(batch);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _worker.Wait(); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
