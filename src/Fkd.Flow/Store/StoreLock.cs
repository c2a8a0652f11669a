using LanguageExt;
namespace Fkd.Flow.Store;

/// <summary>
/// An exclusive lock on the store for the length of a garbage collection (runs share the store through
/// per-entry claims instead), held as an open file with no sharing. The OS releases it if the process
/// dies, so a crash never leaves the store locked.
/// </summary>
public sealed class StoreLock : IDisposable
{
    private readonly FileStream _stream;

    private StoreLock(FileStream stream) => _stream = stream;

    public static Either<string, StoreLock> TryAcquire(string root, TimeSpan wait)
    {
        Directory.CreateDirectory(root);
        var path = Path.Combine(root, "lock");
        var until = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                fs.SetLength(0);
                var w = new StreamWriter(fs);
                w.Write(Environment.ProcessId);
                w.Flush();
                return new StoreLock(fs);
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                Thread.Sleep(100);
            }
            catch (IOException)
            {
                return $"another gc is collecting the store {root} (lock file {path})";
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
