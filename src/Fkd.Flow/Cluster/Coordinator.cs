using System.Collections.Immutable;
using System.Diagnostics;
using Fkd.Flow.Exec;
using Fkd.Flow.Remote;
using Fkd.Flow.Spec;
using Fkd.Flow.Store;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Serilog;

namespace Fkd.Flow.Cluster;

/// <summary>
/// Runs a plan on the cluster. It keeps no state of its own: each round it reads which keys are committed
/// and which job stands for each key from the database, enqueues every stage whose inputs are committed
/// and for which no live job stands, and reports the stages that finished. A coordinator started again
/// therefore picks up where the store stands, and two coordinators on overlapping pipelines follow one job
/// per shared key. At the end it pulls every entry of the plan into the local store (checked against the
/// manifests: a damaged one is forgotten and computed again), so that the local commands see the run.
/// </summary>
public sealed class Coordinator(ArtifactStore store, IRemoteStore remote, ClusterDb db, Lazy<JobStorage> jobStorage, ILogger log, IRunObserver observer)
{
    // Opened on first use: a run that finds everything committed never needs Hangfire (nor its schema check).
    private JobStorage storage => jobStorage.Value;

    public TimeSpan Poll { get; init; } = TimeSpan.FromMilliseconds(150);

    /// <summary>How often a job that seems to stand still is checked against Hangfire's own record of it.</summary>
    public TimeSpan StateCheck { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Pull the run's entries into the local store at the end (the default), or leave them in the shared store.</summary>
    public bool PullAll { get; init; } = true;

    public async Task<RunResult> RunAsync(Plan plan, CancellationToken cancel)
    {
        var started = await db.NowAsync(cancel);
        var client = new Lazy<BackgroundJobClient>(() => new BackgroundJobClient(storage));
        var stages = plan.Stages;
        var keys = stages.Select(s => s.Key).Distinct().ToArray();
        var results = new Dictionary<string, StageResult>();
        var ours = new HashSet<string>();          // job ids this run enqueued
        var announced = new HashSet<string>();     // stages whose start was shown
        var warnedQueues = new HashSet<string>();
        var lastStateCheck = Stopwatch.GetTimestamp();
        var lastServerCheck = 0L;
        string? error = null;

        void Finish(StageResult r)
        {
            results[r.Name] = r;
            observer.StageFinished(r);
        }
        // A job's failure is the run's: it enqueues nothing more and ends once its own running jobs have.
        void Fail(PlannedStage s, string why, string? worker)
        {
            error = $"stage {s.Name}: {why}";
            Finish(new StageResult(s.Name, s.Kind.Kind, s.Key, StageStatus.Failed, 0, 0, why, worker));
        }

        await PushInputFilesAsync(plan, cancel);
        await ShareLocalEntriesAsync(plan, cancel);
        var queueOf = stages.ToDictionary(s => s.Name, s => s.Spec.Queue ?? s.Kind.QueueFor(s.Spec.Params));

        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            // Jobs first: a job seen done has its commit in the second read.
            var jobs = await db.JobsAsync(keys, cancel);
            var commits = await db.CommitsAsync(keys, cancel);
            var checkStates = Stopwatch.GetElapsedTime(lastStateCheck) >= StateCheck;
            if (checkStates) lastStateCheck = Stopwatch.GetTimestamp();

            foreach (var s in stages)
            {
                if (results.ContainsKey(s.Name)) continue;
                var job = jobs.GetValueOrDefault(s.Key);
                if (commits.TryGetValue(s.Key, out var c))
                {
                    // Computed for this run when the job that committed it is one this run enqueued; else found committed.
                    var computedNow = c.JobId is not null && ours.Contains(c.JobId);
                    Finish(new StageResult(s.Name, s.Kind.Kind, s.Key, computedNow ? StageStatus.Computed : StageStatus.Cached, c.Rows,
                        computedNow ? c.Seconds : 0, null, c.Worker));
                    continue;
                }
                if (error is not null) continue;
                var ups = Graph.Upstream(s.Spec).Select(u => plan[u].Key);
                if (!ups.All(commits.ContainsKey)) continue;

                // A failure of a job this run (or a coordinator beside it) enqueued is the run's; one left from an earlier run is tried again.
                if (job is { Status: "failed" } && (job.JobId is { } fj && ours.Contains(fj) || job.Updated >= started))
                {
                    Fail(s, job.Error ?? "failed", job.Worker);
                    continue;
                }
                if (job is { Status: "enqueued" or "running" } live && checkStates && live.JobId is { } lid && Lost(lid) is { } lost)
                {
                    // Hangfire ended the job without the worker saying how (deleted, or failed before the job code ran).
                    log.Warning("Job {Job} for {Stage} ended without a result ({Why})", lid, s.Name, lost);
                    job = job with { Status = lost.StartsWith("failed", StringComparison.Ordinal) ? "failed" : "requeue", Error = lost };
                    if (job.Status == "failed" && ours.Contains(lid))
                    {
                        Fail(s, lost, job.Worker);
                        continue;
                    }
                }
                if (job is null or { Status: "failed" or "requeue" } || job is { Status: "done" })
                {
                    var payload = JobFor(plan, s).ToJson();
                    var queue = queueOf[s.Name];
                    var stood = await db.EnqueueOnceAsync(s.Key, queue, plan.Pipeline.Name, s.Name,
                        replace: existing => existing.Status is "failed" or "requeue" or "done" || existing.JobId is { } x && Lost(x) is not null,
                        enqueue: () =>
                        {
                            var id = client.Value.Create(Job.FromExpression<StageJobRunner>(r => r.Run(payload, null, CancellationToken.None)), new EnqueuedState(queue));
                            ours.Add(id);
                            return id;
                        }, cancel);
                    if (stood.JobId is { } sid && ours.Contains(sid))
                        log.Information("Enqueued {Stage} {Key} on queue {Queue} (job {Job})", s.Name, s.Key[..12], queue, sid);
                    else
                        log.Information("Following {Stage} {Key}: job {Job} of another run stands for it", s.Name, s.Key[..12], stood.JobId);
                }
                else if (job is { Status: "enqueued" or "running", JobId: { } other } && !ours.Contains(other) && !announced.Contains(s.Name))
                    log.Information("Following {Stage} {Key}: job {Job} of another run stands for it ({Status}{Where})", s.Name, s.Key[..12], other,
                        job.Status, job.Worker is null ? "" : " on " + job.Worker);
                if (announced.Add(s.Name)) observer.StageStarted(s);
            }

            if (results.Count == stages.Length || error is not null && !stages.Any(s => !results.ContainsKey(s.Name) && jobs.GetValueOrDefault(s.Key) is { Status: "running" } && ours.Contains(jobs[s.Key].JobId ?? "")))
            {
                if (error is null && PullAll && await PullAllAsync(plan, cancel) is { Count: > 0 } damaged)
                {
                    // Damaged in the shared store: forgotten there; its stage (and only it) runs again next round.
                    foreach (var name in damaged) results.Remove(name);
                    continue;
                }
                break;
            }

            if (Stopwatch.GetElapsedTime(lastServerCheck) > TimeSpan.FromSeconds(10))
            {
                lastServerCheck = Stopwatch.GetTimestamp();
                WarnIdleQueues(stages.Where(s => !results.ContainsKey(s.Name)).Select(s => queueOf[s.Name]).ToHashSet(), warnedQueues);
            }
            await Task.Delay(Poll, cancel);
        }

        foreach (var s in stages.Where(s => results.ContainsKey(s.Name) && results[s.Name].Status is StageStatus.Computed or StageStatus.Cached))
            if (store.Lookup(s.Key).IsSome) store.WriteRef(plan.Pipeline.Name, s.Name, s.Key);
        var ordered = stages.Select(s => results.TryGetValue(s.Name, out var r) ? r
            : new StageResult(s.Name, s.Kind.Kind, s.Key, StageStatus.Cancelled, 0, 0, "not started")).ToImmutableArray();
        return new RunResult(ordered, error);
    }

    /// <summary>Why Hangfire no longer runs a job (deleted, failed), or null while it is enqueued or processing.</summary>
    private string? Lost(string jobId)
    {
        using var c = storage.GetConnection();
        var state = c.GetStateData(jobId);
        return state?.Name switch
        {
            null => "no such job",
            "Deleted" => "deleted",
            "Failed" => "failed: " + (state.Data.TryGetValue("ExceptionMessage", out var m) ? m : state.Reason),
            "Succeeded" => "succeeded without a result",
            _ => null,
        };
    }

    private void WarnIdleQueues(HashSet<string> needed, HashSet<string> warned)
    {
        var servers = storage.GetMonitoringApi().Servers();
        var served = servers.Where(s => s.Heartbeat is { } h && DateTime.UtcNow - h < TimeSpan.FromMinutes(1)).SelectMany(s => s.Queues).ToHashSet();
        foreach (var q in needed.Where(q => !served.Contains(q) && warned.Add(q)))
            log.Warning("No worker serves queue {Queue}: its stages wait until one does (start one with: worker --queues {Queue})", q);
    }

    /// <summary>
    /// Entries this machine already has (from a local run) that the cluster lacks are pushed and committed
    /// in its name, rather than computed again by a worker.
    /// </summary>
    private async Task ShareLocalEntriesAsync(Plan plan, CancellationToken cancel)
    {
        var local = plan.Stages.Where(s => s.Cached.IsSome).DistinctBy(s => s.Key).ToList();
        if (local.Count == 0) return;
        var commits = await db.CommitsAsync([.. local.Select(s => s.Key)], cancel);
        foreach (var s in local.Where(s => !commits.ContainsKey(s.Key)))
        {
            var m = s.Cached.Match(x => x, () => throw new InvalidOperationException());
            await remote.PushAsync(s.Key, store, cancel);
            if (await db.CommitAsync(s.Key, $"{Environment.MachineName} (local)", null, m.Rows, m.Seconds, cancel))
                log.Information("Shared {Stage} {Key} from this machine's store", s.Name, s.Key[..12]);
        }
    }

    /// <summary>The files the plan reads from outside the store, uploaded by content so that any worker can fetch them.</summary>
    private async Task PushInputFilesAsync(Plan plan, CancellationToken cancel)
    {
        foreach (var (path, hash) in plan.FileInputs)
            await remote.PushFileAsync(path, hash, cancel);
    }

    /// <summary>The job for one stage: the stages it is made from (and no others) and the input files they read.</summary>
    public static StageJob JobFor(Plan plan, PlannedStage stage)
    {
        var needed = new HashSet<string>();
        void Visit(string n) { if (needed.Add(n)) foreach (var u in Graph.Upstream(plan[n].Spec)) Visit(u); }
        Visit(stage.Name);
        var spec = plan.Pipeline with { Stages = [.. plan.Pipeline.Stages.Where(s => needed.Contains(s.Name))] };
        var files = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        string Rel(FileRef f)
        {
            var hash = plan.FileInputs[f.FullPath];
            var rel = $"{hash}/{Path.GetFileName(f.FullPath)}";
            files[rel] = hash;
            return rel;
        }
        var json = PipelineJson.Write(spec, Rel).ToJsonString();
        return new StageJob(plan.Pipeline.Name, stage.Name, stage.Key, json, files.ToImmutable(), Environment.MachineName);
    }

    /// <summary>Pulls every entry of the plan; returns the stages whose shared entries were damaged or gone (forgotten, to be computed again).</summary>
    private async Task<List<string>> PullAllAsync(Plan plan, CancellationToken cancel)
    {
        var damaged = new List<string>();
        foreach (var s in plan.Stages.DistinctBy(s => s.Key))
        {
            var outcome = await remote.PullAsync(s.Key, store, cancel);
            if (outcome is PullOutcome.Pulled) continue;
            var why = outcome is PullOutcome.Rejected r ? r.Why : "missing from the shared store";
            log.Warning("Entry {Key} of {Stage} is unusable in {Remote} ({Why}): computing it again", s.Key[..12], s.Name, remote.Url, why);
            if (outcome is PullOutcome.Rejected) await remote.ForgetAsync(s.Key, cancel);
            await db.UncommitAsync(s.Key, cancel);
            damaged.Add(s.Name);
        }
        return damaged;
    }
}
