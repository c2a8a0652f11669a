using Fkd.Flow.Remote;
using Fkd.Flow.Runs;
using Fkd.Flow.Store;

namespace Fkd.Cli.Commands;

/// <summary>One entry to move: its key and, when known, the stage it belongs to.</summary>
public sealed record Target(string Key, string? Stage);

/// <summary>
/// What <c>push</c> and <c>pull</c> move, from what a user types: nothing or <c>last</c> (every stage of the latest
/// run), a run id (or unique prefix: ids hold a '-', keys never do), <c>pipeline/stage</c> (the key that stage last had),
/// or an entry as <c>show</c> takes it (key prefix, <c>stage</c>, <c>run:stage</c>). For a pull a key prefix may also
/// name an entry only the shared store has.
/// </summary>
public static class RemoteTargets
{
    public static async Task<IReadOnlyList<Target>> ResolveAsync(ArtifactStore store, string? what, S3RemoteStore? remoteForPull, CancellationToken ct)
    {
        if (what is null or "last" or "latest")
            return RunTargets(RunRecord.Find(store, "latest") ?? throw new UsageException($"the store {store.Root} has no runs yet: name an entry or a run"));
        if (what.Contains('/') && what.Split('/') is [var pipeline, var stage] && StoreNames.IsSafe(pipeline) && StoreNames.IsSafe(stage))
            return store.ReadRef(pipeline, stage).Case is string k ? [new Target(k, stage)]
                : throw new UsageException($"'{what}': pipeline {pipeline} has no stage {stage} in the store's refs (run it first)");
        if (what.Contains('-') && !what.Contains(':'))
            return RunTargets(RunRecord.Find(store, what) ?? throw new UsageException($"'{what}' names no run in the store {store.Root} (see 'fkd ls runs')"));
        if (remoteForPull is null) return [ToTarget(EntryResolver.Resolve(store, what))];

        // Pull: the entry need not be local. A full key is taken as it is; a stage of a run, from its record.
        if (StoreNames.IsKey(what)) return [new Target(what, null)];
        var colon = what.IndexOf(':');
        var (runId, name) = colon > 0 ? (what[..colon], what[(colon + 1)..]) : ("latest", what);
        if (RunRecord.Find(store, runId)?.Stages.FirstOrDefault(s => s.Name == name) is { } st) return [new Target(st.Key, st.Name)];
        if (what.Length >= 4 && what.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
        {
            var local = store.AllKeys().Where(k => k.StartsWith(what, StringComparison.Ordinal)).ToList();
            var keys = local.Count > 0 ? local : await remoteForPull.ListKeysAsync(what, 2, ct);
            if (keys.Count == 1) return [new Target(keys[0], null)];
            if (keys.Count > 1) throw new UsageException($"key prefix '{what}' is ambiguous (several entries)");
        }
        throw new UsageException($"'{what}' names no run, no stage of the latest run, and no entry key here or in {remoteForPull.Url}");
    }

    private static Target ToTarget(Manifest m) => new(m.Key, m.Stage);

    private static IReadOnlyList<Target> RunTargets(RunRecord run) =>
        run.Stages.DistinctBy(s => s.Key).Select(s => new Target(s.Key, s.Name)).ToList();
}
