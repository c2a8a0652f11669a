using System.Collections.Immutable;
using Fkd.Flow.Exec;
using Fkd.Flow.Remote;
using Fkd.Flow.Spec;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;
using Hangfire;
using Hangfire.Server;
using Serilog;

namespace Fkd.Flow.Cluster;

/// <summary>What a worker process brings to each job: its own store (the cache in front of the shared one), the shared store, the database, the stage kinds.</summary>
public sealed record WorkerContext(string Name, ArtifactStore Store, IRemoteStore Remote, ClusterDb Db, StageRegistry Registry, ILogger Log)
{
    /// <summary>How often a job whose key another worker is computing looks again.</summary>
    public TimeSpan LockPoll { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>One per worker, kept in its store: a pipeline input fetched once is not hashed again by every job that reads it.</summary>
    public FileHashCache Hashes { get; } = FileHashCache.Load(Path.Combine(Store.Root, "file-hashes.json"));
}

/// <summary>A stage job that did not commit: the stage failed, or it could not start. Hangfire shows it as failed and does not retry it.</summary>
public sealed class StageJobFailedException(string message) : Exception(message);

/// <summary>
/// The Hangfire job a worker runs: fetch what the stage reads from the shared store, compute it through
/// the same <see cref="Executor"/> as a local run, push the entry, record the commit (first writer wins).
/// A stage's failure is final (retrying bad input gives the same error); a worker that dies mid-job is
/// replaced by Hangfire's invisibility timeout, and the key's database lock, held on the dead worker's
/// connection, is gone with it.
/// </summary>
public sealed class StageJobRunner(WorkerContext w)
{
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public async Task Run(string payload, PerformContext? context, CancellationToken cancel)
    {
        var job = StageJob.FromJson(payload);
        var jobId = context?.BackgroundJob?.Id ?? "direct";
        var log = w.Log.ForContext("Stage", job.Stage).ForContext("Key", job.Key[..12]).ForContext("Job", jobId);
        var started = DateTimeOffset.UtcNow;
        await w.Db.SetStatusAsync(job.Key, jobId, "running", w.Name, null, cancel);
        try
        {
            var outcome = await ComputeAsync(job, jobId, log, cancel);
            await w.Db.SetStatusAsync(job.Key, jobId, "done", outcome, null, cancel);
        }
        catch (InputLostException e)
        {
            log.Warning("Job {Job} for {Stage} gives way: {Why}", jobId, job.Stage, e.Message);
            await w.Db.SetStatusAsync(job.Key, jobId, "requeue", w.Name, e.Message, CancellationToken.None);
            throw new StageJobFailedException(e.Message);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The worker is stopping: the job stays Hangfire's to hand to another worker.
            throw;
        }
        catch (Exception e)
        {
            // The stage's own failure (bad input) is final; anything else is said once, with its trace, in the worker's log.
            if (e is not StageJobFailedException) log.Error(e, "Job {Job} for {Stage} failed", jobId, job.Stage);
            await w.Db.SetStatusAsync(job.Key, jobId, "failed", w.Name, e.Message, CancellationToken.None);
            if (e is StageJobFailedException) throw;
            throw new StageJobFailedException(e.Message);
        }
        log.Information("Job {Job} for {Stage} done in {Seconds:F2} s", jobId, job.Stage, (DateTimeOffset.UtcNow - started).TotalSeconds);
    }

    /// <summary>Computes (or finds committed) the job's key; returns the worker that committed it.</summary>
    private async Task<string> ComputeAsync(StageJob job, string jobId, ILogger log, CancellationToken cancel)
    {
        if ((await w.Db.CommitsAsync([job.Key], cancel)).TryGetValue(job.Key, out var done)) return done.Worker;

        // One worker computes a key at a time; another job for it (a second coordinator's, a retry) waits and finds it committed.
        IAsyncDisposable? held;
        var waited = false;
        while ((held = await w.Db.TryLockKeyAsync(job.Key, cancel)) is null)
        {
            if (!waited) log.Information("Waiting for {Stage} {Key}: another worker is computing it", job.Stage, job.Key[..12]);
            waited = true;
            await Task.Delay(w.LockPoll, cancel);
        }
        await using var _ = held;
        if ((await w.Db.CommitsAsync([job.Key], cancel)).TryGetValue(job.Key, out done)) return done.Worker;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var plan = await PlanAsync(job, cancel);
        SaveHashes();
        var stage = plan[job.Stage];
        var planned = clock.Elapsed.TotalMilliseconds;
        await FetchInputsAsync(plan, stage, log, cancel);
        var fetched = clock.Elapsed.TotalMilliseconds;

        var exec = new Executor(w.Store, w.Hashes, log, NullObserver.Instance, TimeProvider.System) { RunId = $"{w.Name}/{jobId}" };
        var result = await exec.RunOneAsync(plan, job.Stage, cancel);
        var ran = clock.Elapsed.TotalMilliseconds;
        cancel.ThrowIfCancellationRequested();
        if (result.Status is not (StageStatus.Computed or StageStatus.Cached))
            throw new StageJobFailedException(result.Error ?? $"stage {job.Stage} ended {result.Status}");

        await w.Remote.PushAsync(job.Key, w.Store, cancel);
        var pushed = clock.Elapsed.TotalMilliseconds;
        var manifest = w.Store.EntryManifest(job.Key).Match(m => m, () => throw new StageJobFailedException("the entry vanished from the worker's store after its commit"));
        if (!await w.Db.CommitAsync(job.Key, w.Name, jobId, manifest.Rows, manifest.Seconds, cancel))
        {
            // Only when this worker's database session (and so its lock) was lost mid-job: both entries are the key's; the first stands.
            log.Warning("{Stage} {Key} was committed by another worker first; its commit stands", job.Stage, job.Key[..12]);
            return (await w.Db.CommitsAsync([job.Key], cancel))[job.Key].Worker;
        }
        log.Information("Committed {Stage} {Key} to {Remote}: {Rows} rows in {Seconds:F2} s (job: plan {Plan:F0} ms, fetch {Fetch:F0} ms, stage and local commit {Run:F0} ms, push {Push:F0} ms, commit {Commit:F0} ms)",
            job.Stage, job.Key[..12], w.Remote.Url, manifest.Rows, manifest.Seconds,
            planned, fetched - planned, ran - fetched, pushed - ran, clock.Elapsed.TotalMilliseconds - pushed);
        return w.Name;
    }

    /// <summary>Fetches the job's input files into this worker's store and plans the job's spec here: the key must come out the same.</summary>
    private async Task<Plan> PlanAsync(StageJob job, CancellationToken cancel)
    {
        var inputsDir = Path.Combine(w.Store.Root, "inputs");
        foreach (var (rel, hash) in job.Files)
        {
            var local = Path.GetFullPath(rel, inputsDir);
            if (!local.StartsWith(inputsDir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new StageJobFailedException($"input file path {rel} leaves the inputs folder");
            if (File.Exists(local) && w.Hashes.Hash(local) == hash) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            if (!await w.Remote.PullFileAsync(hash, local, cancel))
                throw new StageJobFailedException($"input file {Path.GetFileName(rel)} (content {hash[..12]}…) is not in the shared store {w.Remote.Url}");
        }
        var root = PipelineLoader.ParseJson(job.Spec, "job " + job.Stage).Match(Succ: r => r, Fail: e => throw new StageJobFailedException(string.Join("; ", e)));
        var spec = PipelineLoader.Validate(root, job.Pipeline, inputsDir, w.Registry)
            .Match(Succ: s => s, Fail: e => throw new StageJobFailedException($"the job's pipeline does not check here: {string.Join("; ", e)}"));
        var plan = Plan.Make(spec, w.Registry, w.Store, w.Hashes, new HashSet<string>())
            .Match(Succ: p => p, Fail: e => throw new StageJobFailedException(string.Join("; ", e)));
        if (spec.Find(job.Stage).IsNone) throw new StageJobFailedException($"the job's pipeline has no stage {job.Stage}");
        var key = plan[job.Stage].Key;
        if (key != job.Key)
            throw new StageJobFailedException($"this worker computes key {key[..12]} for stage {job.Stage} where the coordinator computed {job.Key[..12]}: do they run the same version of the program?");
        return plan;
    }

    /// <summary>Pulls each entry the stage reads. One missing or damaged in the shared store is forgotten there, so that the coordinator has it computed again.</summary>
    private async Task FetchInputsAsync(Plan plan, PlannedStage stage, ILogger log, CancellationToken cancel)
    {
        var ups = stage.Spec.Inputs.Values.SelectMany(ListRef.Flatten).OfType<StageRef>().Select(r => plan[r.Stage]).DistinctBy(s => s.Key);
        foreach (var up in ups)
        {
            if (w.Store.Lookup(up.Key).IsSome) continue;
            switch (await w.Remote.PullAsync(up.Key, w.Store, cancel))
            {
                case PullOutcome.Pulled p:
                    log.Debug("Pulled {Stage} {Key} ({Bytes} bytes)", up.Name, up.Key[..12], p.Bytes);
                    break;
                case PullOutcome.Rejected r:
                    await w.Remote.ForgetAsync(up.Key, cancel);
                    await w.Db.UncommitAsync(up.Key, cancel);
                    throw new InputLostException($"input {up.Name} ({up.Key[..12]}) is damaged in the shared store ({r.Why}): it is to be computed again");
                default:
                    await w.Db.UncommitAsync(up.Key, cancel);
                    throw new InputLostException($"input {up.Name} ({up.Key[..12]}) is not in the shared store: it is to be computed again");
            }
        }
    }

    /// <summary>The hash cache only saves re-hashing: a store that cannot take it is reported by what writes there next.</summary>
    private void SaveHashes()
    {
        try { w.Hashes.Save(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private sealed class InputLostException(string message) : Exception(message);
}
