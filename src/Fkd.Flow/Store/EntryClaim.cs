using System.Text.Json;

namespace Fkd.Flow.Store;

/// <summary>Who holds a claim: enough for a person (or a log line) to find the process.</summary>
public sealed record ClaimHolder(int Pid, string Host, DateTimeOffset Started, string Run)
{
    public static ClaimHolder Current(string run) =>
        new(Environment.ProcessId, Environment.MachineName, System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime(), run);

    public override string ToString() => $"run {Run} (pid {Pid} on {Host}, started {Started:yyyy-MM-dd HH:mm:ss}Z)";
}

/// <summary>
/// The right to compute one key: an exclusive OS lock on <c>claims/KEY.lock</c>, held while the stage runs
/// and commits. The OS drops the lock when the holder's process ends, however it ends, so a dead holder's
/// claim is free at once; <c>claims/KEY.holder</c> says who holds (or last held) it. Lock files are never
/// deleted while a run may use them (a deleted lock file would let two processes lock two different files).
/// </summary>
public sealed class EntryClaim : IDisposable
{
    private readonly FileStream _lock;

    public string Key { get; }

    /// <summary>The holder recorded before we took the claim, when there was one: a holder that died (or finished) without a commit.</summary>
    public ClaimHolder? Previous { get; }

    private readonly string _holderPath;

    private EntryClaim(string key, FileStream @lock, string holderPath, ClaimHolder? previous) =>
        (Key, _lock, _holderPath, Previous) = (key, @lock, holderPath, previous);

    /// <summary>Takes the claim if no live process holds it; null when one does.</summary>
    public static EntryClaim? TryTake(ArtifactStore store, string key, string run)
    {
        var (lockPath, holderPath) = Paths(store, key);
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        FileStream fs;
        try { fs = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException) when (File.Exists(lockPath)) { return null; } // a live process holds it
        try
        {
            var previous = ReadHolder(holderPath);
            AtomicFile.WriteAllText(holderPath, JsonSerializer.Serialize(ClaimHolder.Current(run), Manifest.Json));
            return new EntryClaim(key, fs, holderPath, previous);
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>Who holds the claim on a key now, or null when nobody does (the lock is free).</summary>
    public static ClaimHolder? HolderOf(ArtifactStore store, string key)
    {
        var (lockPath, holderPath) = Paths(store, key);
        if (!File.Exists(lockPath)) return null;
        try
        {
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return null; // we could take it: nobody holds it
        }
        catch (IOException) { return ReadHolder(holderPath) ?? new ClaimHolder(0, "?", default, "?"); }
    }

    private static (string Lock, string Holder) Paths(ArtifactStore store, string key)
    {
        var stem = StoreNames.Under(store.ClaimsDir, StoreNames.Segment(key, "a claim"));
        return (stem + ".lock", stem + ".holder");
    }

    private static ClaimHolder? ReadHolder(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize<ClaimHolder>(File.ReadAllText(path), Manifest.Json) : null; }
        catch (Exception e) when (e is JsonException or IOException) { return null; }
    }

    /// <summary>Releases the claim. The holder record goes first (while we still hold the lock), so a record
    /// found by the next holder always means its writer died holding the claim.</summary>
    public void Dispose()
    {
        try { File.Delete(_holderPath); } catch (IOException) { }
        _lock.Dispose();
    }
}

/// <summary>
/// A run in progress, for <c>gc</c> and <c>verify --remove</c>: <c>live/RUN.lock</c> held for the run's
/// life and <c>live/RUN.keys</c>, the keys it planned. A marker whose lock can be taken belongs to a run
/// that has ended (or died) and is removed.
/// </summary>
public sealed class LiveRun : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _lockPath, _keysPath;

    private LiveRun(FileStream @lock, string lockPath, string keysPath) => (_lock, _lockPath, _keysPath) = (@lock, lockPath, keysPath);

    public static LiveRun Start(ArtifactStore store, string run, IEnumerable<string> plannedKeys)
    {
        Directory.CreateDirectory(store.LiveDir);
        var stem = StoreNames.Under(store.LiveDir, StoreNames.Segment(run, "a live-run marker"));
        AtomicFile.WriteAllText(stem + ".keys", string.Join('\n', plannedKeys));
        var fs = new FileStream(stem + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        return new LiveRun(fs, stem + ".lock", stem + ".keys");
    }

    /// <summary>Every key some live run has planned; markers of runs that ended are removed on the way.</summary>
    public static HashSet<string> PlannedKeys(ArtifactStore store)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(store.LiveDir)) return keys;
        foreach (var lockPath in Directory.EnumerateFiles(store.LiveDir, "*.lock"))
        {
            var keysPath = Path.ChangeExtension(lockPath, ".keys");
            try
            {
                using (new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
                // Nobody holds it: that run is over.
                File.Delete(keysPath);
                File.Delete(lockPath);
            }
            catch (IOException) when (File.Exists(lockPath))
            {
                if (File.Exists(keysPath)) keys.UnionWith(File.ReadAllLines(keysPath).Where(StoreNames.IsKey));
            }
        }
        return keys;
    }

    public void Dispose()
    {
        try { File.Delete(_keysPath); } catch (IOException) { }
        try { File.Delete(_lockPath); } catch (IOException) { }
        _lock.Dispose();
    }
}
