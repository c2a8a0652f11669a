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
        var work = new TransformBlock<TIn, TOut>(transform, new ExecutionDataflowBlockOptions
        {
            MaxDegreeOfParallelism = options.Parallelism,
            BoundedCapacity = options.BoundedCapacity,
            EnsureOrdered = false,
            CancellationToken = ct,
        });
        var write = new ActionBlock<TOut>(sink, new ExecutionDataflowBlockOptions
        {
            MaxDegreeOfParallelism = 1,
            BoundedCapacity = options.BoundedCapacity,
            CancellationToken = ct,
        });
        work.LinkTo(write, new DataflowLinkOptions { PropagateCompletion = true });
        // A faulted sink would leave the producer waiting on a full buffer: cancel everything instead.
        _ = write.Completion.ContinueWith(t => { if (t.IsFaulted) cts.Cancel(); }, TaskScheduler.Default);
        _ = work.Completion.ContinueWith(t => { if (t.IsFaulted) cts.Cancel(); }, TaskScheduler.Default);

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
