namespace Fkd.Stages.Torch;

/// <summary>
/// libtorch's thread count is one setting for the whole process: two torch stages running at once
/// with different <c>threads</c> would overwrite each other's. Every torch stage enters this gate with
/// the count it wants; stages that want the same count run side by side (the stacking pipelines train
/// two one-thread models at once), a stage that wants another count waits until the gate is empty.
/// The count is applied on the entering thread, which then runs the model.
/// </summary>
public static class TorchGate
{
    private static readonly object Lock = new();
    private static int _holders;
    private static int _threads;

    /// <summary>The thread count a request resolves to: a positive count as given, 0 = all cores.</summary>
    public static int Resolve(int requested) => requested > 0 ? requested : Environment.ProcessorCount;

    /// <summary>Blocks until torch may run with <paramref name="threads"/> (0 = all cores); dispose the result when done.</summary>
    public static IDisposable Enter(int threads, CancellationToken ct = default)
    {
        var wanted = Resolve(threads);
        lock (Lock)
        {
            while (_holders > 0 && _threads != wanted)
            {
                ct.ThrowIfCancellationRequested();
                Monitor.Wait(Lock, TimeSpan.FromMilliseconds(200));
            }
            _holders++;
            _threads = wanted;
        }
        try { TorchRuntime.ApplyThreads(wanted); }
        catch { Leave(); throw; }
        return new Ticket();
    }

    /// <summary>Torch stages inside the gate now, and the thread count they share (0 when empty).</summary>
    public static (int Holders, int Threads) Now { get { lock (Lock) return (_holders, _holders == 0 ? 0 : _threads); } }

    private static void Leave()
    {
        lock (Lock)
        {
            _holders--;
            Monitor.PulseAll(Lock);
        }
    }

    private sealed class Ticket : IDisposable
    {
        private int _left;
        public void Dispose() { if (Interlocked.Exchange(ref _left, 1) == 0) Leave(); }
    }
}
