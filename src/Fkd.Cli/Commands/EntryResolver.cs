using Fkd.Flow.Runs;
using Fkd.Flow.Store;
using LanguageExt;

namespace Fkd.Cli.Commands;

/// <summary>Finds an entry from what a user types: a key prefix, <c>stage</c> (in the latest run) or <c>run:stage</c>.</summary>
public static class EntryResolver
{
    public static Manifest Resolve(ArtifactStore store, string what)
    {
        var colon = what.IndexOf(':');
        var (runId, name) = colon > 0 ? (what[..colon], what[(colon + 1)..]) : ("latest", what);
        var run = RunRecord.Find(store, runId);
        var stage = run?.Stages.FirstOrDefault(s => s.Name == name);
        if (stage is not null)
            return store.EntryManifest(stage.Key).Match(m => m, () => throw new InvalidOperationException($"entry {stage.Key[..12]} of stage {name} is no longer in the store"));
        var keys = what.Length >= 4 ? store.AllKeys().Where(k => k.StartsWith(what, StringComparison.Ordinal)).ToList() : [];
        return keys.Count switch
        {
            1 => store.EntryManifest(keys[0]).Match(m => m, () => throw new InvalidOperationException($"entry {keys[0][..12]} has no readable manifest")),
            0 => throw new UsageException($"'{what}' names no stage of run {run?.Id ?? "(none)"} and no entry key"),
            _ => throw new UsageException($"key prefix '{what}' is ambiguous ({keys.Count} entries)"),
        };
    }
}
