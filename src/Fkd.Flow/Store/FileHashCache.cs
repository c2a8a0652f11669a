using System.Collections.Concurrent;
using System.Text.Json;

namespace Fkd.Flow.Store;

/// <summary>
/// Remembers path + size + mtime → content hash, so a big input that has not changed is not read
/// again on every run. Only a shortcut: the key itself is the content hash, never the path.
/// </summary>
public sealed class FileHashCache
{
    private sealed record Entry(long Size, long MtimeTicks, string Hash);

    private readonly string _file;
    private readonly ConcurrentDictionary<string, Entry> _entries;
    private bool _dirty;

    private FileHashCache(string file, ConcurrentDictionary<string, Entry> entries) { _file = file; _entries = entries; }

    public static FileHashCache Load(string file)
    {
        try
        {
            if (File.Exists(file))
            {
                var d = JsonSerializer.Deserialize<Dictionary<string, Entry>>(File.ReadAllText(file));
                if (d is not null) return new FileHashCache(file, new ConcurrentDictionary<string, Entry>(d));
            }
        }
        catch (Exception e) when (e is JsonException or IOException) { /* a damaged cache only costs re-hashing */ }
        return new FileHashCache(file, new ConcurrentDictionary<string, Entry>());
    }

    public string Hash(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"input file not found: {path}", path);
        var ticks = info.LastWriteTimeUtc.Ticks;
        if (_entries.TryGetValue(path, out var e) && e.Size == info.Length && e.MtimeTicks == ticks) return e.Hash;
        var hash = ContentHash.OfFile(path);
        _entries[path] = new Entry(info.Length, ticks, hash);
        _dirty = true;
        return hash;
    }

    public void Save()
    {
        if (!_dirty) return;
        AtomicFile.WriteAllText(_file, JsonSerializer.Serialize(_entries));
        _dirty = false;
    }
}
