using LanguageExt;
using static LanguageExt.Prelude;
using System.Collections.Immutable;
using Parquet;
using Serilog;

namespace Fkd.Flow.Store;

/// <summary>
/// The content-addressed store. Layout under the root:
/// <c>entries/ab/abcdef…/</c> (one folder per key: the stage's files + manifest.json),
/// <c>tmp/</c> (entries being written), <c>runs/</c> (one record + log per run),
/// <c>refs/pipeline/stage</c> (the key each stage last had, for "what changed" and gc roots),
/// <c>file-hashes.json</c> (size+mtime → hash cache for input files).
/// </summary>
public sealed class ArtifactStore
{
    public string Root { get; }
    public string EntriesDir => Path.Combine(Root, "entries");
    public string TmpDir => Path.Combine(Root, "tmp");
    public string RunsDir => Path.Combine(Root, "runs");
    public string RefsDir => Path.Combine(Root, "refs");
    public string ScratchRoot => Path.Combine(Root, "scratch");
    public string ClaimsDir => Path.Combine(Root, "claims");
    public string LiveDir => Path.Combine(Root, "live");

    /// <summary>Per-key scratch space kept across failed runs (checkpoints); see <see cref="Fkd.Flow.Stages.StageContext.ScratchDir"/>.</summary>
    public string ScratchDir(string key) => StoreNames.Under(ScratchRoot, StoreNames.Segment(key, "a scratch folder"));

    public void RemoveScratch(string key) => TryDelete(ScratchDir(key));

    private readonly ILogger _log;

    public ArtifactStore(string root, ILogger? log = null)
    {
        Root = Path.GetFullPath(root);
        _log = log ?? Serilog.Core.Logger.None;
    }

    public string EntryPath(string key) =>
        StoreNames.IsKey(key) ? Path.Combine(EntriesDir, key[..2], key) : throw new ArgumentException($"not an entry key: {System.Text.Json.JsonSerializer.Serialize(key)}");

    /// <summary>
    /// Finds a committed entry. A folder whose manifest is missing or unreadable, or whose files
    /// are missing or the wrong size, is a miss: it is logged and removed so it cannot poison later runs.
    /// </summary>
    public Option<Manifest> Lookup(string key) =>
        Check(key).Match(
            Some: found => found.Match(
                Right: m => Some(m),
                Left: why =>
                {
                    _log.Warning("Removing damaged cache entry {Key}: {Reason}", key[..12], why);
                    TryDelete(EntryPath(key));
                    return Option<Manifest>.None;
                }),
            None: () => Option<Manifest>.None);

    /// <summary>
    /// What <see cref="Lookup"/> would find, touching nothing (for <c>--dry-run</c> and read-only commands):
    /// None when there is no entry, else the manifest or why the entry is damaged.
    /// </summary>
    public Option<Either<string, Manifest>> Check(string key)
    {
        var dir = EntryPath(key);
        if (!Directory.Exists(dir)) return None;
        return Some(Manifest.Read(Path.Combine(dir, Manifest.FileName), key)
            .Bind(m => CheckFiles(dir, m).ToEither(m).Swap()));
    }

    private static Option<string> CheckFiles(string dir, Manifest m)
    {
        foreach (var f in m.Files)
        {
            var fi = new FileInfo(Path.Combine(dir, f.Name));
            if (!fi.Exists) return Some($"file {f.Name} is missing");
            if (fi.Length != f.Bytes) return Some($"file {f.Name} has {fi.Length} bytes, manifest says {f.Bytes}");
        }
        return None;
    }

    /// <summary>The manifest of an entry, read without removing anything (for reports on old entries).</summary>
    public Option<Manifest> EntryManifest(string key) =>
        Manifest.Read(Path.Combine(EntryPath(key), Manifest.FileName), key).ToOption();

    /// <summary>Re-hashes every file of an entry: the slow, thorough check behind <c>verify</c>.</summary>
    public ImmutableArray<string> Verify(string key)
    {
        var dir = EntryPath(key);
        var problems = ImmutableArray.CreateBuilder<string>();
        Manifest.Read(Path.Combine(dir, Manifest.FileName), key).Match(
            Left: why => problems.Add(why),
            Right: m =>
            {
                foreach (var f in m.Files)
                {
                    var p = Path.Combine(dir, f.Name);
                    if (!File.Exists(p)) { problems.Add($"{f.Name}: missing"); continue; }
                    var h = ContentHash.OfFile(p);
                    if (h != f.Xxh128) problems.Add($"{f.Name}: content hash {h[..12]}…, manifest says {f.Xxh128[..12]}…");
                }
            });
        return problems.ToImmutable();
    }

    /// <summary>Where damaged entries are moved when a reader finds them: out of the way of lookups, kept for a person to look at.</summary>
    public string DamagedDir => Path.Combine(Root, "damaged");

    /// <summary>Moves a committed entry out of <c>entries/</c> into <see cref="DamagedDir"/>; returns where it went, or null when it was not there.</summary>
    public string? SetAside(string key)
    {
        var to = Path.Combine(DamagedDir, $"{key}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(DamagedDir);
        try { Directory.Move(EntryPath(key), to); }
        catch (DirectoryNotFoundException) { return null; }
        return to;
    }

    /// <summary>A fresh private folder for a stage to write into; nothing in it is visible until <see cref="Commit"/>.</summary>
    public string BeginEntry(string key)
    {
        var dir = Path.Combine(TmpDir, $"{key}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Hashes the files a stage wrote, writes the manifest last, flushes, and renames the folder
    /// into place. If another run committed the same key meanwhile, its entry wins and ours is dropped.
    /// </summary>
    public async Task<Manifest> CommitAsync(string tmpDir, Func<ImmutableArray<ManifestFile>, Manifest> makeManifest, CancellationToken cancel, bool replace = false)
    {
        var names = Directory.EnumerateFiles(tmpDir, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(tmpDir, p))
            .Where(n => n != Manifest.FileName)
            .Order(StringComparer.Ordinal)
            .ToArray();
        var files = new ManifestFile[names.Length];
        await Parallel.ForAsync(0, names.Length, cancel, async (i, ct) =>
        {
            var p = Path.Combine(tmpDir, names[i]);
            FlushToDisk(p);
            files[i] = new ManifestFile(names[i], new FileInfo(p).Length, ContentHash.OfFile(p), await ParquetRows(p, ct));
        });
        var manifest = makeManifest([.. files]);
        cancel.ThrowIfCancellationRequested();
        AtomicFile.WriteAllText(Path.Combine(tmpDir, Manifest.FileName), manifest.ToJson());
        Publish(tmpDir, manifest.Key, replace);
        return manifest;
    }

    /// <summary>
    /// Commits an entry whose files were downloaded into <paramref name="tmpDir"/> (from <see cref="BeginEntry"/>)
    /// and checked against <paramref name="manifestJson"/> by the caller: the manifest is kept as it came
    /// (written last), the files are flushed, and the folder is renamed into place like <see cref="CommitAsync"/>.
    /// </summary>
    public Manifest CommitPulled(string tmpDir, string key, string manifestJson)
    {
        var manifest = Manifest.Parse(manifestJson, key).Match(m => m, why => throw new InvalidDataException($"entry {key[..12]}: {why}"));
        var problem = CheckFiles(tmpDir, manifest);
        if (problem.Case is string why) throw new InvalidDataException($"entry {key[..12]}: {why}");
        foreach (var f in manifest.Files) FlushToDisk(Path.Combine(tmpDir, f.Name));
        AtomicFile.WriteAllText(Path.Combine(tmpDir, Manifest.FileName), manifestJson);
        Publish(tmpDir, key, replace: false);
        return manifest;
    }

    /// <summary>Renames a finished temporary folder (manifest written) into place as the entry <paramref name="key"/>.</summary>
    private void Publish(string tmpDir, string key, bool replace)
    {
        var target = EntryPath(key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (replace && Directory.Exists(target))
        {
            // A forced recompute: move the old entry aside first so the key never points at a half-replaced folder.
            var old = Path.Combine(TmpDir, $"{key[..16]}-replaced-{Guid.NewGuid():N}");
            Directory.Move(target, old);
            TryDelete(old);
        }
        try
        {
            Directory.Move(tmpDir, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Same key, same inputs: the entry already there is as good as ours, unless it is damaged.
            if (Lookup(key).IsSome) { TryDelete(tmpDir); return; }
            Directory.Move(tmpDir, target);
        }
    }

    public void Abandon(string tmpDir) => TryDelete(tmpDir);

    private static void FlushToDisk(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        fs.Flush(flushToDisk: true);
    }

    private static async Task<long?> ParquetRows(string path, CancellationToken ct)
    {
        if (!path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)) return null;
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        long rows = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            rows += rg.RowCount;
        }
        return rows;
    }

    /// <summary>
    /// Removes what ended runs left in tmp/: a folder is another run's work in progress while the claim on
    /// its key (the folder name's first 64 characters) is held, so only unclaimed ones go.
    /// </summary>
    public int CleanTmp()
    {
        if (!Directory.Exists(TmpDir)) return 0;
        var n = 0;
        foreach (var d in Directory.EnumerateDirectories(TmpDir))
        {
            // Checked after the folder was seen: its writer claims the key before it creates the folder.
            var name = Path.GetFileName(d);
            if (name.Length >= 64 && StoreNames.IsKey(name[..64]) && EntryClaim.HolderOf(this, name[..64]) is not null) continue;
            TryDelete(d);
            n++;
        }
        return n;
    }

    public IEnumerable<string> AllKeys() =>
        Directory.Exists(EntriesDir)
            ? Directory.EnumerateDirectories(EntriesDir).SelectMany(Directory.EnumerateDirectories).Select(Path.GetFileName).OfType<string>()
            : [];

    // ---- refs: the key each named stage of each pipeline last had ----

    public string RefPath(string pipeline, string stage) =>
        StoreNames.Under(RefsDir, StoreNames.Segment(pipeline, "a pipeline's refs"), StoreNames.Segment(stage, "a stage's ref"));

    public Option<string> ReadRef(string pipeline, string stage)
    {
        var p = RefPath(pipeline, stage);
        return File.Exists(p) ? Optional(File.ReadAllText(p).Trim()).Filter(k => k.Length == 64) : None;
    }

    public void WriteRef(string pipeline, string stage, string key) => AtomicFile.WriteAllText(RefPath(pipeline, stage), key);

    public IEnumerable<(string Pipeline, string Stage, string Key)> AllRefs() =>
        !Directory.Exists(RefsDir) ? [] :
        from p in Directory.EnumerateDirectories(RefsDir)
        from f in Directory.EnumerateFiles(p)
        where !f.EndsWith(".tmp")
        select (Path.GetFileName(p), Path.GetFileName(f), File.ReadAllText(f).Trim());

    private void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { _log.Warning("Could not remove {Dir}: {Error}", dir, e.Message); }
    }
}
