namespace Fkd.Stages.Faces;

/// <summary>
/// What a streaming face stage holds at once: the rows of the input row groups it has read and not yet
/// finished writing, plus what <paramref name="pending"/> adds (rows inside Dataflow blocks, rows a writer
/// has not flushed). The reader takes a group, the sink releases it after its last row; the peak and the
/// most groups held are what the stages report, and what their tests bound by group size and block
/// capacity, never by row count. The reader is one thread; the sink may run beside it.
/// </summary>
public sealed class HeldRows(Func<long> pending)
{
    private long _rows, _peak;
    private int _groups, _maxGroups;

    public int MaxGroupsHeld => Volatile.Read(ref _maxGroups);
    public long PeakRowsHeld => Interlocked.Read(ref _peak);

    /// <summary>The reader has a (non-empty) row group of <paramref name="rows"/> rows in hand.</summary>
    public void Take(int rows)
    {
        var held = Interlocked.Increment(ref _groups);
        if (held > _maxGroups) _maxGroups = held;
        Interlocked.Add(ref _rows, rows);
    }

    /// <summary>The sink has written the last row of a group of <paramref name="rows"/> rows.</summary>
    public void Release(int rows)
    {
        Interlocked.Decrement(ref _groups);
        Interlocked.Add(ref _rows, -rows);
    }

    /// <summary>Notes what is held now, if more than ever before.</summary>
    public void Peak()
    {
        var now = Interlocked.Read(ref _rows) + pending();
        if (now > Interlocked.Read(ref _peak)) Interlocked.Exchange(ref _peak, now);
    }
}
