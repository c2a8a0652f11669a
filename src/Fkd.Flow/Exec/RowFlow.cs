using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Dataflow;

namespace Fkd.Flow.Exec;

/// <summary>
/// Streams items through a parallel transform into one sequential sink with bounded buffers, so a
/// fast reader cannot run ahead of a slow writer and memory stays flat. Items are sent with
/// <c>SendAsync</c> (never a dropped <c>Post</c>); a fault in any block cancels the others and is
/// rethrown as itself. Output order is not kept (<c>EnsureOrdered = false</c>): sinks that need a
/// stable order sort by a key the items carry.
/// </summary>
public static class RowFlow
{
    public sealed record Options(int MaxParallel = 0, int BoundedCapacity = 256)
    {
        public int Parallelism => MaxParallel > 0 ? MaxParallel : Environment.ProcessorCount;
    }

    public static async Task RunAsync<TIn, TOut>(
        IEnumerable<TIn> source,
        Func<TIn, TOut> transform,
        Action<TOut> sink,
        Options options,
        CancellationToken cancel)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var ct = cts.Token;
        var (work, write) = Link(transform, new ActionBlock<TOut>(sink, SinkOptions(options, ct)), options, ordered: false, cts);

        try
        {
            foreach (var item in source)
            {
                ct.ThrowIfCancellationRequested();
                if (!await work.SendAsync(item, ct)) break; // declined for good: the block faulted
            }
            work.Complete();
            await write.Completion;
        }
        catch (Exception) when (RootFault(work, write) is { } root)
        {
            ExceptionDispatchInfo.Throw(root);
        }
        if (RootFault(work, write) is { } fault) ExceptionDispatchInfo.Throw(fault);
    }

    /// <summary>What an ordered run saw: items through, and the most that were inside the blocks at once
    /// (sent, not yet through the sink): the flow's bound on what it holds, whatever the item count.</summary>
    public sealed record Stats(long Items, int MaxInFlight);

    /// <summary>
    /// Like <see cref="RunAsync"/>, but from an asynchronous source (e.g. a file read a row group at a
    /// time), into an asynchronous sink (e.g. a file writer), and in order: the sink sees the outputs
    /// in the source's order (<c>EnsureOrdered = true</c>) whatever the threads did, so what it writes is
    /// deterministic. The source is pulled only as the bounded transform accepts items (<c>SendAsync</c>),
    /// so a reader never runs more than the two buffers ahead of the writer.
    /// </summary>
    public static async Task<Stats> RunOrderedAsync<TIn, TOut>(
        IAsyncEnumerable<TIn> source,
        Func<TIn, TOut> transform,
        Func<TOut, ValueTask> sink,
        Options options,
        CancellationToken cancel)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var ct = cts.Token;
        var inFlight = 0;
        var maxInFlight = 0;
        var items = 0L;
        var (work, write) = Link(transform, new ActionBlock<TOut>(async o =>
        {
            await sink(o);
            Interlocked.Decrement(ref inFlight);
            items++;
        }, SinkOptions(options, ct)), options, ordered: true, cts);

        try
        {
            await foreach (var item in source.WithCancellation(ct))
            {
                var now = Interlocked.Increment(ref inFlight);
                if (now > maxInFlight) maxInFlight = now;
                if (!await work.SendAsync(item, ct)) break; // declined for good: the block faulted
            }
            work.Complete();
            await write.Completion;
        }
        catch (Exception) when (RootFault(work, write) is { } root)
        {
            ExceptionDispatchInfo.Throw(root);
        }
        catch (Exception)
        {
            cts.Cancel(); // the source failed (e.g. a bad file): stop the blocks before the error goes up
            throw;
        }
        if (RootFault(work, write) is { } fault) ExceptionDispatchInfo.Throw(fault);
        return new Stats(items, maxInFlight);
    }

    /// <summary>The sink runs on one thread, behind a buffer as bounded as the transform's.</summary>
    private static ExecutionDataflowBlockOptions SinkOptions(Options options, CancellationToken ct) =>
        new() { MaxDegreeOfParallelism = 1, BoundedCapacity = options.BoundedCapacity, CancellationToken = ct };

    /// <summary>
    /// The parallel transform linked to the sink, completion propagated. A faulted block would leave the
    /// producer waiting on a full buffer: either one's fault cancels everything instead.
    /// </summary>
    private static (TransformBlock<TIn, TOut> Work, ActionBlock<TOut> Write) Link<TIn, TOut>(
        Func<TIn, TOut> transform, ActionBlock<TOut> write, Options options, bool ordered, CancellationTokenSource cts)
    {
        var work = new TransformBlock<TIn, TOut>(transform, new ExecutionDataflowBlockOptions
        {
            MaxDegreeOfParallelism = options.Parallelism,
            BoundedCapacity = options.BoundedCapacity,
            EnsureOrdered = ordered,
            CancellationToken = cts.Token,
        });
        work.LinkTo(write, new DataflowLinkOptions { PropagateCompletion = true });
        _ = write.Completion.ContinueWith(t => { if (t.IsFaulted) cts.Cancel(); }, TaskScheduler.Default);
        _ = work.Completion.ContinueWith(t => { if (t.IsFaulted) cts.Cancel(); }, TaskScheduler.Default);
        return (work, write);
    }

    /// <summary>The first real error of either block, unwrapped from Dataflow's aggregates; null when neither faulted.</summary>
    private static Exception? RootFault(IDataflowBlock work, IDataflowBlock write)
    {
        foreach (var b in new[] { work, write })
            if (b.Completion.IsFaulted)
                return b.Completion.Exception!.Flatten().InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException)
                       ?? b.Completion.Exception!.Flatten().InnerExceptions[0];
        return null;
    }
}
