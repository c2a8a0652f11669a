using System.Collections.Immutable;
using System.Text.Json;
using Fkd.Flow.Exec;
using Fkd.Flow.Store;

namespace Fkd.Flow.Runs;

/// <summary>What one run did: which pipeline, each stage's key and status, and how it ended. Kept under runs/ID/run.json.</summary>
public sealed record RunRecord(
    string Id,
    string Pipeline,
    string PipelineFile,
    ImmutableArray<string> Sets,
    DateTimeOffset Started,
    double Seconds,
    bool Ok,
    string? Error,
    ImmutableArray<StageResult> Stages)
{
    public const string FileName = "run.json";

    /// <summary>A sortable id from the start time plus a random suffix, e.g. 20261122-231405-3fa2.</summary>
    public static string NewId(DateTimeOffset now) => $"{now.UtcDateTime:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";

    public static string Dir(ArtifactStore store, string id) => StoreNames.Under(store.RunsDir, StoreNames.Segment(id, "a run record"));

    public void Save(ArtifactStore store)
    {
        AtomicFile.WriteAllText(Path.Combine(Dir(store, Id), FileName), JsonSerializer.Serialize(this, Manifest.Json));
        AtomicFile.WriteAllText(Path.Combine(store.RunsDir, "latest"), Id);
    }

    public static IEnumerable<RunRecord> All(ArtifactStore store) =>
        !Directory.Exists(store.RunsDir) ? [] :
        Directory.EnumerateDirectories(store.RunsDir)
            .Order(StringComparer.Ordinal)
            .Select(d => TryLoad(Path.Combine(d, FileName)))
            .OfType<RunRecord>();

    /// <summary>A run by id, unique id prefix, or <c>latest</c>.</summary>
    public static RunRecord? Find(ArtifactStore store, string idOrLatest)
    {
        if (idOrLatest == "latest")
        {
            var p = Path.Combine(store.RunsDir, "latest");
            if (!File.Exists(p)) return null;
            idOrLatest = File.ReadAllText(p).Trim();
        }
        var matches = All(store).Where(r => r.Id.StartsWith(idOrLatest, StringComparison.Ordinal)).ToList();
        return matches.Count == 1 ? matches[0] : matches.FirstOrDefault(r => r.Id == idOrLatest);
    }

    private static RunRecord? TryLoad(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path), Manifest.Json) : null; }
        catch (JsonException) { return null; }
    }
}
