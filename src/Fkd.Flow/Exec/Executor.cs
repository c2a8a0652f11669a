using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using Fkd.Flow.Remote;
using Fkd.Flow.Spec;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;
using Serilog;

namespace Fkd.Flow.Exec;

/// <summary>The outcome of a whole run: every stage's result, and the first real error if any.</summary>
public sealed record RunResult(ImmutableArray<StageResult> Stages, string? Error)
{
    public bool Ok => Error is null;
}

/// <summary>
/// Runs a plan. Stages are scheduled through one Dataflow block: a stage is sent to it when its last
/// upstream stage commits, so independent stages run concurrently (up to <c>maxParallel</c>). One
/// cancellation source covers the run: the first failure cancels everything still running, and that
/// failure (not the cancellations it caused) is what the run reports.
/// </summary>
public sealed class Executor(ArtifactStore store, FileHashCache hashes, ILogger log, IRunObserver observer, TimeProvider clock)
{
    /// <summary>The run's id, recorded with every claim it takes (who is computing a key).</summary>
    public string RunId { get; init; } = "unnamed";

    /// <summary>How often a stage whose key another run is computing looks again.</summary>
    public TimeSpan ClaimPoll { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A shared store in front of which the local one is the cache: a stage not cached locally is pulled
    /// from it when it has the entry (checked against the manifest's hashes; anything wrong is a miss, and
    /// the stage is computed), and every entry the run computes or finds locally is pushed when it lacks it.
    /// </summary>
    public IRemoteStore? Remote { get; init; }

    private ConcurrentDictionary<string, StageResult> _results = new();
    private ConcurrentDictionary<string, Lazy<Task<StageResult>>> _repairs = new();

    public async Task<RunResult> RunAsync(Plan plan, int maxParallel, CancellationToken cancel)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var results = _results = new ConcurrentDictionary<string, StageResult>();
        _repairs = new ConcurrentDictionary<string, Lazy<Task<StageResult>>>();
        string? firstError = null;
        var byName = plan.Stages.ToDictionary(s => s.Name);
        var dependents = plan.Stages.ToDictionary(s => s.Name, _ => new List<string>());
        var pending = new ConcurrentDictionary<string, int>();
        foreach (var s in plan.Stages)
        {
            var ups = Graph.Upstream(s.Spec).ToList();
            pending[s.Name] = ups.Count;
            foreach (var u in ups) dependents[u].Add(s.Name);
        }
        var remaining = plan.Stages.Length;

        ActionBlock<PlannedStage>? block = null;
        block = new ActionBlock<PlannedStage>(async stage =>
        {
            var r = await RunStageAsync(plan, stage, cts.Token);
            results[stage.Name] = r;
            observer.StageFinished(r);
            if (r.Status == StageStatus.Failed)
            {
                Interlocked.CompareExchange(ref firstError, $"stage {stage.Name}: {r.Error}", null);
                cts.Cancel();
            }
            else if (r.Status != StageStatus.Cancelled)
            {
                foreach (var d in dependents[stage.Name])
                    if (pending.AddOrUpdate(d, 0, (_, n) => n - 1) == 0)
                        await block!.SendAsync(byName[d]);
            }
            if (Interlocked.Decrement(ref remaining) == 0 || cts.IsCancellationRequested) block!.Complete();
        }, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = Math.Max(1, maxParallel), EnsureOrdered = false });

        foreach (var s in plan.Stages.Where(s => pending[s.Name] == 0))
            await block.SendAsync(s);
        if (plan.Stages.Length == 0) block.Complete();
        await block.Completion;

        if (firstError is null && cancel.IsCancellationRequested) firstError = "cancelled";
        var ordered = plan.Stages
            .Select(s => results.TryGetValue(s.Name, out var r) ? r : new StageResult(s.Name, s.Kind.Kind, s.Key, StageStatus.Cancelled, 0, 0, "not started"))
            .ToImmutableArray();
        return new RunResult(ordered, firstError);
    }

    /// <summary>
    /// Runs one stage of a plan whose direct inputs are already in the store (a worker's job in a
    /// distributed run): the same checks, claim and commit as in a whole run.
    /// </summary>
    public Task<StageResult> RunOneAsync(Plan plan, string stage, CancellationToken cancel)
    {
        _results = new ConcurrentDictionary<string, StageResult>();
        _repairs = new ConcurrentDictionary<string, Lazy<Task<StageResult>>>();
        return RunStageAsync(plan, plan[stage], cancel);
    }

    private async Task<StageResult> RunStageAsync(Plan plan, PlannedStage stage, CancellationToken cancel)
    {
        if (!stage.WillRun)
        {
            var m = stage.Cached.Match(x => x, () => throw new UnreachableException());
            store.WriteRef(plan.Pipeline.Name, stage.Name, stage.Key);
            return await ShareAsync(stage, new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Cached, m.Rows, 0), onlyIfMissing: true, cancel);
        }
        if (cancel.IsCancellationRequested)
            return new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Cancelled, 0, 0, "cancelled");

        // What this stage reads must be what its producers committed: checked against their manifests now.
        string? broken;
        try { broken = await CheckInputsAsync(plan, stage, cancel); }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Cancelled, 0, 0, "cancelled");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            broken = $"reading its inputs back failed: {e.Message}";
        }
        if (broken is not null)
            return new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Failed, 0, 0, broken);

        // One process computes a key at a time; the others wait and reuse what it commits.
        EntryClaim? claim;
        try
        {
            (claim, var done) = await ClaimAsync(stage, cancel);
            if (done is not null)
            {
                store.WriteRef(plan.Pipeline.Name, stage.Name, stage.Key);
                log.Information("Reusing {Stage} {Key}: another run computed it meanwhile", stage.Name, stage.Key[..12]);
                return await ShareAsync(stage, new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Cached, done.Rows, 0), onlyIfMissing: true, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Cancelled, 0, 0, "cancelled");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Failed, 0, 0, $"could not claim its key: {StoreWriteProblem(e) ?? e.Message}");
        }
        using var held = claim;

        var started = clock.GetTimestamp();
        if (Remote is not null && !stage.Forced)
        {
            Manifest? pulled;
            try { pulled = await TryPullAsync(stage, cancel); }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Cancelled, 0, 0, "cancelled");
            }
            if (pulled is not null)
            {
                store.WriteRef(plan.Pipeline.Name, stage.Name, stage.Key);
                return new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Pulled, pulled.Rows, clock.GetElapsedTime(started).TotalSeconds);
            }
        }

        observer.StageStarted(stage);
        var tmp = store.BeginEntry(stage.Key);
        var slog = log.ForContext("Stage", stage.Name).ForContext("Key", stage.Key[..12]);
        try
        {
            var inputs = stage.Spec.Inputs.Where(p => p.Value is not ListRef)
                .ToImmutableDictionary(p => p.Key, p => Resolve(plan, p.Key, p.Value));
            var lists = stage.Spec.Inputs.Where(p => p.Value is ListRef)
                .ToImmutableDictionary(p => p.Key, p => ((ListRef)p.Value).Items.Select(r => Resolve(plan, p.Key, r)).ToImmutableArray());
            var ctx = new StageContext(stage.Name, stage.Key,
                stage.Spec.Params.ToImmutableSortedDictionary(p => p.Key, p => p.Value!),
                inputs, tmp, slog, new Progress(observer, stage), store.ScratchDir(stage.Key), lists, stage.Material.Params);
            slog.Information("Running {Stage} ({Kind} v{Version}): {Why}", stage.Name, stage.Kind.Kind, stage.Kind.Version, string.Join("; ", stage.Why));
            var outcome = await Task.Run(() => stage.Kind.RunAsync(ctx, cancel), cancel);
            cancel.ThrowIfCancellationRequested();

            // Nothing half-made reaches the store: declared outputs must exist, and inputs must not have changed under us.
            var missing = stage.Kind.Outputs.Where(o => !File.Exists(Path.Combine(tmp, o))).ToList();
            if (missing.Count > 0) throw new InvalidOperationException($"stage finished without writing {string.Join(", ", missing)}");
            foreach (var (name, r) in stage.Spec.Inputs.SelectMany(p => ListRef.Flatten(p.Value).Select(x => (p.Key, x))))
                if (r is FileRef f && hashes.Hash(f.FullPath) != plan.FileInputs[f.FullPath])
                    throw new InvalidOperationException($"input {name} ({f.Written}) changed while the stage ran");

            var seconds = clock.GetElapsedTime(started).TotalSeconds;
            var manifest = await store.CommitAsync(tmp, files => new Manifest(
                Keys.KeyMaterial.CurrentFormatVersion, stage.Key, stage.Name, stage.Material, files,
                outcome.Rows, outcome.Facts, clock.GetUtcNow(), seconds), cancel, replace: stage.Forced);
            store.WriteRef(plan.Pipeline.Name, stage.Name, stage.Key);
            store.RemoveScratch(stage.Key);
            slog.Information("Committed {Stage} {Key}: {Rows} rows in {Seconds:F2} s", stage.Name, stage.Key[..12], outcome.Rows, seconds);
            return await ShareAsync(stage, new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Computed, manifest.Rows, seconds), onlyIfMissing: false, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            store.Abandon(tmp);
            return new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Cancelled, 0, clock.GetElapsedTime(started).TotalSeconds, "cancelled");
        }
        catch (Exception e)
        {
            store.Abandon(tmp);
            var inner = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e;
            slog.Error(inner, "Stage {Stage} failed", stage.Name);
            return new StageResult(stage.Name, stage.Kind.Kind, stage.Key, StageStatus.Failed, 0, clock.GetElapsedTime(started).TotalSeconds,
                StoreWriteProblem(inner) ?? inner.Message);
        }
    }

    /// <summary>
    /// The stage's entry from the shared store, committed locally, or null when it has none or none usable
    /// (missing, rejected, or the shared store unreachable: each a miss, logged, and the stage is computed).
    /// </summary>
    private async Task<Manifest?> TryPullAsync(PlannedStage stage, CancellationToken cancel)
    {
        try
        {
            switch (await Remote!.PullAsync(stage.Key, store, cancel))
            {
                case PullOutcome.Pulled p:
                    return p.Manifest; // the shared store logs what came
                case PullOutcome.Rejected r:
                    log.Warning("Not using {Stage} {Key} from {Remote}: {Why}; computing it", stage.Name, stage.Key[..12], Remote.Url, r.Why);
                    return null;
                default:
                    return null;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            log.Warning("Could not pull {Stage} {Key} from {Remote} ({Error}); computing it", stage.Name, stage.Key[..12], Remote!.Url, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Pushes a committed entry to the shared store (when there is one; with <paramref name="onlyIfMissing"/>,
    /// only when it lacks the entry). A push that fails fails the stage, naming the shared store; the local
    /// entry stays committed.
    /// </summary>
    private async Task<StageResult> ShareAsync(PlannedStage stage, StageResult done, bool onlyIfMissing, CancellationToken cancel)
    {
        if (Remote is null) return done;
        try
        {
            if (onlyIfMissing && (await Remote.FindAsync(stage.Key, cancel)).IsSome) return done;
            await Remote.PushAsync(stage.Key, store, cancel);
            return done;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return done with { Status = StageStatus.Cancelled, Error = "cancelled while pushing to the shared store" };
        }
        catch (Exception e)
        {
            log.Error(e, "Pushing {Stage} {Key} to {Remote} failed", stage.Name, stage.Key[..12], Remote.Url);
            return done with { Status = StageStatus.Failed, Error = $"its entry {stage.Key[..12]} is committed locally, but pushing it to the shared store {Remote.Url} failed: {e.Message}" };
        }
    }

    /// <summary>A full disk or a read-only store, said as such: which store, and that its output could not be written there.</summary>
    private string? StoreWriteProblem(Exception e) =>
        StoreFault.Describe(e, store.Root) is { } why ? $"could not write its output into the store {store.Root}: {why}" : null;

    /// <summary>
    /// Waits for the right to compute a stage's key. Returns the claim, or (when not forced) the manifest
    /// another run committed while we waited or looked: the entry to reuse instead.
    /// </summary>
    private async Task<(EntryClaim? Claim, Manifest? Done)> ClaimAsync(PlannedStage stage, CancellationToken cancel)
    {
        var announced = false;
        while (true)
        {
            if (!stage.Forced && store.Lookup(stage.Key).Case is Manifest before) return (null, before);
            if (EntryClaim.TryTake(store, stage.Key, RunId) is { } claim)
            {
                // Committed between the look and the take: reuse it.
                if (!stage.Forced && store.Lookup(stage.Key).Case is Manifest after) { claim.Dispose(); return (null, after); }
                if (claim.Previous is { } dead)
                    log.Warning("Taking over {Stage} {Key} from {Holder}, which ended without committing it", stage.Name, stage.Key[..12], dead);
                return (claim, null);
            }
            if (!announced)
            {
                log.Information("Waiting for {Stage} {Key}: {Holder} is computing it", stage.Name, stage.Key[..12],
                    (object?)EntryClaim.HolderOf(store, stage.Key) ?? "another run");
                observer.StageProgress(stage, new StageProgress(0, 0, "waiting for another run"));
                announced = true;
            }
            await Task.Delay(ClaimPoll, cancel);
        }
    }

    private async Task<EntryClaim> TakeClaimAsync(string key, CancellationToken cancel)
    {
        while (true)
        {
            if (EntryClaim.TryTake(store, key, RunId) is { } claim) return claim;
            await Task.Delay(ClaimPoll, cancel);
        }
    }

    /// <summary>
    /// Re-hashes the stored files this stage will read. A damaged input entry is set aside (moved out of
    /// <c>entries/</c>, kept for a person to look at), its stage is recomputed (once, however many stages
    /// read it) and the run goes on; null when every input is sound.
    /// </summary>
    private async Task<string?> CheckInputsAsync(Plan plan, PlannedStage stage, CancellationToken cancel)
    {
        foreach (var (name, r) in stage.Spec.Inputs.SelectMany(p => ListRef.Flatten(p.Value).Select(x => (p.Key, x))))
        {
            if (r is not StageRef sr) continue;
            var up = plan[sr.Stage];
            if (Damage(up.Key, sr.File) is not { } problem) continue;
            var repair = await _repairs.GetOrAdd(up.Key, _ => new Lazy<Task<StageResult>>(() => RepairAsync(plan, up, problem, cancel))).Value;
            // Computed (or pulled) here, or (Cached) by another run that found the same damage first.
            if (repair.Status is not (StageStatus.Computed or StageStatus.Cached or StageStatus.Pulled))
                return $"input {name} ({up.Name}, entry {up.Key[..12]}) was damaged ({problem}) and recomputing it did not succeed: {repair.Error}";
            if (Damage(up.Key, sr.File) is { } again)
                return $"input {name} ({up.Name}, entry {up.Key[..12]}) is damaged again after recomputing it: {again}";
        }
        return null;
    }

    /// <summary>Why the stored entry's files (or one of them) differ from its manifest, or null.</summary>
    private string? Damage(string key, string? file)
    {
        if (store.EntryManifest(key).Case is not Manifest m) return "its manifest is missing or unreadable";
        foreach (var f in m.Files.Where(f => file is null || f.Name == file))
        {
            var info = new FileInfo(Path.Combine(store.EntryPath(key), f.Name));
            if (!info.Exists) return $"file {f.Name} is missing";
            if (info.Length != f.Bytes) return $"file {f.Name} has {info.Length} bytes, its manifest says {f.Bytes}";
            var path = info.FullName;
            if (ContentHash.OfFile(path) is var h && h != f.Xxh128) return $"file {f.Name} has content hash {h[..12]}…, its manifest says {f.Xxh128[..12]}…";
        }
        return null;
    }

    private async Task<StageResult> RepairAsync(Plan plan, PlannedStage up, string problem, CancellationToken cancel)
    {
        try
        {
            // Checked again and moved under the key's claim, so a run that repaired it meanwhile is not undone.
            using (await TakeClaimAsync(up.Key, cancel))
            {
                // Sound again (another run repaired it meanwhile): Damage reads the manifest, so it exists.
                if (Damage(up.Key, null) is null)
                    return new StageResult(up.Name, up.Kind.Kind, up.Key, StageStatus.Cached, store.EntryManifest(up.Key).Map(m => m.Rows).IfNone(0), 0);
                // Gone already when another run found it first and set it aside: then we recompute (or reuse its recompute) below.
                if (store.SetAside(up.Key) is { } aside)
                    log.Warning("Entry {Key} of stage {Stage} is damaged ({Problem}): set aside in {Aside}, recomputing it",
                        up.Key[..12], up.Name, problem, aside);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new StageResult(up.Name, up.Kind.Kind, up.Key, StageStatus.Failed, 0, 0, $"could not set the damaged entry aside: {StoreWriteProblem(e) ?? e.Message}");
        }
        var r = await RunStageAsync(plan, up with { Cached = LanguageExt.Option<Manifest>.None, Forced = false, Why = [$"its entry was damaged ({problem}) and set aside"] }, cancel);
        _results[up.Name] = r;
        observer.StageFinished(r);
        return r;
    }

    private ResolvedInput Resolve(Plan plan, string name, InputRef r) => r switch
    {
        StageRef { File: null } s => new ResolvedInput(name, plan[s.Stage].Key, store.EntryPath(plan[s.Stage].Key), IsFile: false),
        StageRef s => new ResolvedInput(name, plan[s.Stage].Key, Path.Combine(store.EntryPath(plan[s.Stage].Key), s.File), IsFile: true),
        FileRef f => new ResolvedInput(name, plan.FileInputs[f.FullPath], f.FullPath, IsFile: true),
        _ => throw new UnreachableException(),
    };

    private sealed class Progress(IRunObserver observer, PlannedStage stage) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => observer.StageProgress(stage, value);
    }
}
