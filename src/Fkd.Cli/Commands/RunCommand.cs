using System.CommandLine;
using System.Text.Json.Nodes;
using Fkd.Cli.Console;
using Fkd.Flow.Exec;
using Fkd.Flow.Runs;
using Fkd.Flow.Spec;
using Fkd.Flow.Store;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Spectre.Console;

namespace Fkd.Cli.Commands;

public static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("pipeline") { Description = "pipeline JSON file, e.g. pipelines/full.json" };
        var set = new Option<string[]>("--set") { Description = "override: stage.param=value or stage.input=path (repeatable)", AllowMultipleArgumentsPerToken = false };
        var force = new Option<string[]>("--force") { Description = "recompute this stage even if cached (repeatable)" };
        var dry = new Option<bool>("--dry-run") { Description = "say what would run and why, run nothing" };
        var jobs = new Option<int>("--jobs") { Description = "stages run at once (default 2)", DefaultValueFactory = _ => 2 };
        var json = Common.JsonOption();
        var remote = Common.RemoteOption();
        var distributed = new Option<bool>("--distributed") { Description = "run the stages as jobs on the cluster's workers (needs --db and --remote)" };
        var db = Cluster.ClusterOptions.Db();
        var cmd = new Command("run", "run a pipeline, reusing every cached stage") { file, set, force, dry, jobs, json, remote, distributed, db };
        cmd.SetAction((pr, ct) => RunAsync(Common.Store(pr), pr.GetValue(file)!, pr.GetValue(set) ?? [], pr.GetValue(force) ?? [],
            pr.GetValue(dry), pr.GetValue(jobs), pr.GetValue(json), ct, pr.GetValue(Common.VerboseOption), pr.GetValue(remote),
            pr.GetValue(distributed) ? new Cluster.DistributedRun(
                Cluster.ClusterOptions.Require(pr.GetValue(db), "--db", "FKD_DB"),
                Cluster.ClusterOptions.Require(pr.GetValue(remote), "--remote", "FKD_REMOTE")) : null));
        return cmd;
    }

    public static async Task<int> RunAsync(ArtifactStore store, string file, string[] sets, string[] force, bool dryRun, int jobs, bool json, CancellationToken ct,
        bool verbose = false, string? remote = null, Cluster.DistributedRun? cluster = null)
    {
        if (cluster is not null && force.Length > 0) throw new UsageException("--force is not taken by a distributed run: the cluster's commits are final (run it locally with --force)");
        // A bad shared-store URL is a usage error, said before anything runs.
        var remoteUrl = Common.RemoteUrl(remote);
        var registry = StageKinds.Create();
        var spec = PipelineLoader.Load(file, sets, registry);
        if (spec.IsFail)
        {
            var errors = spec.FailToSeq().ToList();
            if (json) Common.PrintJson(new JsonObject { ["ok"] = false, ["errors"] = new JsonArray([.. errors.Select(e => (JsonNode)e.ToString())]) });
            System.Console.Error.WriteLine($"{file}: {errors.Count} problem{(errors.Count == 1 ? "" : "s")}:");
            foreach (var e in errors) System.Console.Error.WriteLine($"  {e}");
            return ExitCodes.Usage;
        }
        var pipeline = spec.SuccessToSeq().Head();

        // Any number of runs share a store: each key is claimed by the one run that computes it (the others
        // wait and reuse it). A dry run reads the store and writes nothing: no clean-up, no removal of damaged entries.
        if (!dryRun) store.CleanTmp();
        var hashes = FileHashCache.Load(Path.Combine(store.Root, "file-hashes.json"));

        var planned = Plan.Make(pipeline, registry, store, hashes, force.ToHashSet(), readOnly: dryRun);
        if (planned.IsFail)
        {
            foreach (var e in planned.FailToSeq()) System.Console.Error.WriteLine("error: " + e);
            return ExitCodes.Failure;
        }
        var plan = planned.SuccessToSeq().Head();
        if (dryRun) return DryRun(plan, json); // the local store's view: a dry run reaches no server
        SaveHashes(hashes);

        var started = DateTimeOffset.Now;
        var runId = RunRecord.NewId(started);
        var runDir = RunRecord.Dir(store, runId);
        LiveRun live;
        try
        {
            Directory.CreateDirectory(runDir);
            // While this run lives, gc and verify --remove leave every key it planned alone.
            live = LiveRun.Start(store, runId, plan.Stages.Select(s => s.Key));
        }
        catch (Exception e) when (StoreFault.Describe(e, store.Root) is { } why)
        {
            TryRemove(runDir);
            System.Console.Error.WriteLine($"error: cannot start a run in the store {store.Root}: {why}");
            return ExitCodes.Failure;
        }
        using var _live = live;
        var interactive = !json && !System.Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        using var log = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .WriteTo.File(new CompactJsonFormatter(), Path.Combine(runDir, "log.json"))
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose, restrictedToMinimumLevel: interactive ? LogEventLevel.Warning : LogEventLevel.Information,
                // A failure's message (file:line:column, what was expected) is the console's; its stack trace is the JSON log's, or --verbose's.
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}" + (verbose ? "{Exception}" : ""))
            .CreateLogger();
        log.Information("Run {RunId}: pipeline {Pipeline} ({Stages} stages, {ToRun} to run), store {Store}{Remote}",
            runId, pipeline.Name, plan.Stages.Length, plan.Stages.Count(s => s.WillRun), store.Root, remoteUrl is null ? "" : $", shared store {remoteUrl}");
        using var shared = remoteUrl is null ? null : Common.OpenRemote(remoteUrl, log);

        RunResult result;
        var work = plan.Stages.Any(s => s.WillRun);
        if (cluster is not null)
            result = await cluster.RunAsync(store, plan, shared!, log, new ConsoleObserver(null), ct);
        else if (interactive && work)
        {
            RunResult? r = null;
            await AnsiConsole.Console.Progress().AutoClear(true).HideCompleted(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async bars =>
                {
                    var exec = new Executor(store, hashes, log, new ConsoleObserver(bars), TimeProvider.System) { RunId = runId, Remote = shared };
                    r = await exec.RunAsync(plan, jobs, ct);
                });
            result = r!;
        }
        else
        {
            var exec = new Executor(store, hashes, log, new ConsoleObserver(null), TimeProvider.System) { RunId = runId, Remote = shared };
            result = await exec.RunAsync(plan, jobs, ct);
        }
        SaveHashes(hashes);

        var seconds = (DateTimeOffset.Now - started).TotalSeconds;
        var record = new RunRecord(runId, pipeline.Name, Path.GetFullPath(file), [.. sets], started, seconds, result.Ok, result.Error, result.Stages);
        try { record.Save(store); }
        catch (Exception e) when (StoreFault.Describe(e, store.Root) is { } why)
        {
            // The stages' own results stand (committed entries are whole); only the run's record is lost.
            System.Console.Error.WriteLine($"error: cannot write the run's record into the store {store.Root}: {why}");
            if (result.Ok) return ExitCodes.Failure;
        }
        log.Information("Run {RunId} {Outcome} in {Seconds:F2} s", runId, result.Ok ? "finished" : "failed", seconds);

        if (json) Common.PrintJson(RunJson(record, store));
        else PrintTable(record);
        if (!result.Ok) System.Console.Error.WriteLine($"error: {result.Error}");
        return result.Ok ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>The input-hash cache only saves re-hashing: a store that cannot take it (full, read-only) is reported elsewhere.</summary>
    private static void SaveHashes(FileHashCache hashes)
    {
        try { hashes.Save(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static void TryRemove(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static int DryRun(Plan plan, bool json)
    {
        if (json)
        {
            Common.PrintJson(new JsonObject
            {
                ["ok"] = true,
                ["dry_run"] = true,
                ["stages"] = new JsonArray([.. plan.Stages.Select(s => (JsonNode)new JsonObject
                {
                    ["name"] = s.Name, ["kind"] = s.Kind.Kind, ["key"] = s.Key,
                    ["cached"] = !s.WillRun, ["why"] = new JsonArray([.. s.Why.Select(w => (JsonNode)w)]),
                })]),
            });
            return ExitCodes.Ok;
        }
        foreach (var s in plan.Stages)
        {
            var status = s.WillRun ? "would run" : "cached";
            System.Console.Out.WriteLine($"  {s.Name,-14} {s.Key[..12]}  {status,-9}  {(s.WillRun ? string.Join("; ", s.Why) : "")}");
        }
        return ExitCodes.Ok;
    }

    private static void PrintTable(RunRecord r)
    {
        foreach (var s in r.Stages)
        {
            var status = s.Status.ToString().ToLowerInvariant();
            System.Console.Out.WriteLine($"  {s.Name,-14} {s.Key[..12]}  {status,-9} {s.Rows,10:N0} rows {s.Seconds,8:F2} s{(s.Worker is null ? "" : "  on " + s.Worker)}{(s.Error is null ? "" : "  " + s.Error)}");
        }
        var pulled = r.Stages.Count(s => s.Status == StageStatus.Pulled);
        System.Console.Out.WriteLine($"run {r.Id}: {r.Stages.Count(s => s.Status == StageStatus.Computed)} computed, {r.Stages.Count(s => s.Status == StageStatus.Cached)} cached{(pulled > 0 ? $", {pulled} pulled" : "")}, {r.Seconds:F2} s");
    }

    public static JsonObject RunJson(RunRecord r, ArtifactStore store) => new()
    {
        ["ok"] = r.Ok,
        ["run"] = r.Id,
        ["pipeline"] = r.Pipeline,
        ["seconds"] = r.Seconds,
        ["error"] = r.Error,
        ["stages"] = new JsonArray([.. r.Stages.Select(s => (JsonNode)new JsonObject
        {
            ["name"] = s.Name, ["kind"] = s.Kind, ["key"] = s.Key, ["status"] = s.Status.ToString().ToLowerInvariant(),
            ["rows"] = s.Rows, ["seconds"] = s.Seconds, ["path"] = store.EntryPath(s.Key), ["error"] = s.Error, ["worker"] = s.Worker,
        })]),
    };
}
