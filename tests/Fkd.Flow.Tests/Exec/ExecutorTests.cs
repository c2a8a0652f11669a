using Fkd.Flow.Exec;
using Fkd.Flow.Spec;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;

namespace Fkd.Flow.Tests.Exec;

public sealed class ExecutorTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly CountingStage _a = new("src");
    private readonly CountingStage _b = new("mid");
    private readonly CountingStage _c = new("end");
    private readonly StageRegistry _registry;
    private readonly ArtifactStore _store;

    public ExecutorTests()
    {
        _registry = new StageRegistry([_a, _b, _c]);
        _store = new ArtifactStore(_dir.File("store"));
        File.WriteAllText(_dir.File("input.txt"), "hello");
        File.WriteAllText(_dir.File("p.json"), """
        {"stages": {
          "a": {"kind": "src", "params": {"label": "A"}, "inputs": {"file": "input.txt"}},
          "b": {"kind": "mid", "params": {"label": "B"}, "inputs": {"up": "a"}},
          "c": {"kind": "end", "params": {"label": "C"}, "inputs": {"up": "b"}}
        }}
        """);
    }

    public void Dispose() => _dir.Dispose();

    private async Task<RunResult> Run(string[]? sets = null, string[]? force = null)
    {
        var spec = PipelineLoader.Load(_dir.File("p.json"), sets ?? [], _registry, _dir.Path);
        Assert.True(spec.IsSuccess, string.Join("\n", spec.FailToSeq()));
        var hashes = FileHashCache.Load(_dir.File("store/file-hashes.json"));
        var plan = Plan.Make(spec.SuccessToSeq().Head(), _registry, _store, hashes, (force ?? []).ToHashSet());
        Assert.True(plan.IsSuccess);
        var r = await new Executor(_store, hashes, Serilog.Core.Logger.None, NullObserver.Instance, TimeProvider.System)
            .RunAsync(plan.SuccessToSeq().Head(), 2, CancellationToken.None);
        hashes.Save();
        return r;
    }

    private static string Statuses(RunResult r) => string.Join(",", r.Stages.Select(s => $"{s.Name}={s.Status.ToString().ToLowerInvariant()}"));

    [Fact]
    public async Task Second_run_is_all_cached()
    {
        Assert.Equal("a=computed,b=computed,c=computed", Statuses(await Run()));
        Assert.Equal("a=cached,b=cached,c=cached", Statuses(await Run()));
        Assert.Equal((1, 1, 1), (_a.Runs, _b.Runs, _c.Runs));
    }

    [Fact]
    public async Task A_parameter_change_reruns_that_stage_and_what_follows_and_reverting_reruns_nothing()
    {
        await Run();
        Assert.Equal("a=cached,b=computed,c=computed", Statuses(await Run(["b.n=5"])));
        Assert.Equal("a=cached,b=cached,c=cached", Statuses(await Run()));
        Assert.Equal("a=cached,b=cached,c=cached", Statuses(await Run(["b.n=5"])));
        Assert.Equal((1, 2, 2), (_a.Runs, _b.Runs, _c.Runs));
    }

    [Fact]
    public async Task Writing_a_default_explicitly_keeps_the_key()
    {
        await Run();
        Assert.Equal("a=cached,b=cached,c=cached", Statuses(await Run(["b.n=1", "b.scale=1.0"])));
    }

    [Fact]
    public async Task Changed_input_file_content_reruns_everything_downstream()
    {
        await Run();
        File.WriteAllText(_dir.File("input.txt"), "HELLO");
        Assert.Equal("a=computed,b=computed,c=computed", Statuses(await Run()));
    }

    [Fact]
    public async Task A_new_stage_version_reruns_that_stage()
    {
        await Run();
        _c.Version = 2;
        Assert.Equal("a=cached,b=cached,c=computed", Statuses(await Run()));
    }

    [Fact]
    public async Task Force_recomputes_one_stage_only()
    {
        await Run();
        Assert.Equal("a=cached,b=computed,c=cached", Statuses(await Run(force: ["b"])));
    }

    [Fact]
    public async Task A_stage_that_throws_halfway_leaves_no_entry_and_its_error_is_reported()
    {
        _b.Hook = _ => throw new InvalidDataException("disk on fire");
        var r = await Run();
        Assert.False(r.Ok);
        Assert.Equal("stage b: disk on fire", r.Error);
        Assert.Equal("a=computed,b=failed,c=cancelled", Statuses(r));
        Assert.True(_store.Lookup(r.Stages[1].Key).IsNone);
        Assert.False(Directory.Exists(_store.EntryPath(r.Stages[1].Key)));
        Assert.Empty(Directory.EnumerateDirectories(_store.TmpDir));
        Assert.Equal(0, _c.Runs);

        _b.Hook = null;
        Assert.Equal("a=cached,b=computed,c=computed", Statuses(await Run()));
    }

    [Fact]
    public async Task A_missing_declared_output_is_not_committed()
    {
        _c.Hook = ctx => { File.Delete(ctx.Output("out.txt")); return Task.CompletedTask; };
        var r = await Run();
        Assert.Contains("without writing out.txt", r.Error);
        Assert.True(_store.Lookup(r.Stages[2].Key).IsNone);
    }

    [Theory]
    [InlineData("delete-manifest")]
    [InlineData("truncate-manifest")]
    [InlineData("truncate-file")]
    public async Task A_damaged_entry_is_a_miss_and_is_recomputed(string damage)
    {
        var first = await Run();
        var dir = _store.EntryPath(first.Stages[1].Key);
        switch (damage)
        {
            case "delete-manifest": File.Delete(Path.Combine(dir, Manifest.FileName)); break;
            case "truncate-manifest": File.WriteAllText(Path.Combine(dir, Manifest.FileName), "{\"format\": 1, \"ke"); break;
            default: File.WriteAllText(Path.Combine(dir, "out.txt"), "x"); break;
        }
        Assert.Equal("a=cached,b=computed,c=cached", Statuses(await Run()));
    }

    [Fact]
    public async Task A_same_size_corruption_is_caught_where_it_is_read_set_aside_and_recomputed()
    {
        var first = await Run();
        var file = Path.Combine(_store.EntryPath(first.Stages[1].Key), "out.txt");
        var bytes = File.ReadAllBytes(file);
        bytes[0] ^= 0x20; // same size: only the content hash can tell
        File.WriteAllBytes(file, bytes);

        var second = await Run(sets: ["c.n=2"]); // c must run, and reads b
        Assert.Equal("a=cached,b=computed,c=computed", Statuses(second));
        Assert.Equal((1, 2, 2), (_a.Runs, _b.Runs, _c.Runs));
        Assert.Equal(File.ReadAllText(file), System.Text.Encoding.UTF8.GetString(bytes.Select((b, i) => i == 0 ? (byte)(b ^ 0x20) : b).ToArray()));
        var aside = Assert.Single(Directory.GetDirectories(_store.DamagedDir));
        Assert.StartsWith(first.Stages[1].Key, Path.GetFileName(aside)); // kept for a person to look at
        Assert.Empty(_store.Verify(first.Stages[1].Key));
    }

    [Fact]
    public async Task Two_runs_of_one_plan_at_once_compute_each_key_once_and_both_succeed()
    {
        _b.Hook = _ => Task.Delay(600); // long enough for the other run to find b claimed
        var spec = PipelineLoader.Load(_dir.File("p.json"), [], _registry, _dir.Path).SuccessToSeq().Head();
        Task<RunResult> Start(string run)
        {
            var hashes = FileHashCache.Load(_dir.File("store/file-hashes.json"));
            var plan = Plan.Make(spec, _registry, _store, hashes, new HashSet<string>()).SuccessToSeq().Head();
            return new Executor(_store, hashes, Serilog.Core.Logger.None, NullObserver.Instance, TimeProvider.System) { RunId = run, ClaimPoll = TimeSpan.FromMilliseconds(20) }
                .RunAsync(plan, 2, CancellationToken.None);
        }
        var results = await Task.WhenAll(Start("one"), Start("two"));
        Assert.All(results, r => Assert.True(r.Ok, r.Error));
        Assert.Equal((1, 1, 1), (_a.Runs, _b.Runs, _c.Runs));
        foreach (var stage in new[] { 0, 1, 2 })
            Assert.Equal([StageStatus.Cached, StageStatus.Computed], results.Select(r => r.Stages[stage].Status).Order());
        Assert.All(_store.AllKeys(), k => Assert.Empty(_store.Verify(k)));
    }

    [Fact]
    public async Task Two_runs_that_find_the_same_damaged_input_recompute_it_once()
    {
        var first = await Run();
        var file = Path.Combine(_store.EntryPath(first.Stages[1].Key), "out.txt");
        var bytes = File.ReadAllBytes(file);
        bytes[0] ^= 0x20;
        File.WriteAllBytes(file, bytes);
        _b.Hook = _ => Task.Delay(400);
        Task<RunResult> Start(string run, string n)
        {
            var spec = PipelineLoader.Load(_dir.File("p.json"), [$"c.n={n}"], _registry, _dir.Path).SuccessToSeq().Head();
            var hashes = FileHashCache.Load(_dir.File("store/file-hashes.json"));
            var plan = Plan.Make(spec, _registry, _store, hashes, new HashSet<string>()).SuccessToSeq().Head();
            return new Executor(_store, hashes, Serilog.Core.Logger.None, NullObserver.Instance, TimeProvider.System) { RunId = run, ClaimPoll = TimeSpan.FromMilliseconds(20) }
                .RunAsync(plan, 2, CancellationToken.None);
        }
        var results = await Task.WhenAll(Start("one", "2"), Start("two", "3")); // both must run c, both read b
        Assert.All(results, r => Assert.True(r.Ok, r.Error));
        Assert.Equal(2, _b.Runs); // the first run's computation, and one repair
        Assert.Empty(_store.Verify(first.Stages[1].Key));
    }

    [Fact]
    public async Task A_read_only_plan_reports_a_damaged_entry_and_leaves_it_for_a_real_run()
    {
        var first = await Run();
        var dir = _store.EntryPath(first.Stages[1].Key);
        File.WriteAllText(Path.Combine(dir, "out.txt"), "x"); // size no longer matches the manifest
        var spec = PipelineLoader.Load(_dir.File("p.json"), [], _registry, _dir.Path).SuccessToSeq().Head();
        var hashes = FileHashCache.Load(_dir.File("store/file-hashes.json"));

        var dry = Plan.Make(spec, _registry, _store, hashes, new HashSet<string>(), readOnly: true).SuccessToSeq().Head();
        Assert.True(dry["b"].WillRun);
        Assert.StartsWith("cached entry damaged (file out.txt has 1 bytes, manifest says", Assert.Single(dry["b"].Why));
        Assert.False(dry["a"].WillRun);
        Assert.True(Directory.Exists(dir)); // still there: a dry run removes nothing

        Assert.Equal("a=cached,b=computed,c=cached", Statuses(await Run()));
    }

    [Fact]
    public async Task Manifest_records_files_rows_and_key_material()
    {
        var r = await Run();
        var m = _store.Lookup(r.Stages[0].Key).Match(x => x, () => throw new Exception("missing"));
        Assert.Equal("a", m.Stage);
        Assert.Equal("src", m.Material.Kind);
        Assert.Single(m.Files);
        Assert.Equal("out.txt", m.Files[0].Name);
        Assert.Equal(ContentHash.OfFile(Path.Combine(_store.EntryPath(m.Key), "out.txt")), m.Files[0].Xxh128);
        Assert.StartsWith("file:", m.Material.Inputs["file"]);
        Assert.Empty(_store.Verify(m.Key));
    }

    [Fact]
    public async Task Dry_run_plan_says_which_parameter_changed()
    {
        await Run();
        var spec = PipelineLoader.Load(_dir.File("p.json"), ["b.n=9"], _registry, _dir.Path).SuccessToSeq().Head();
        var plan = Plan.Make(spec, _registry, _store, FileHashCache.Load(_dir.File("x.json")), new HashSet<string>()).SuccessToSeq().Head();
        Assert.False(plan["a"].WillRun);
        Assert.Contains("param n: 1 → 9", plan["b"].Why);
        Assert.Contains(plan["c"].Why, w => w.StartsWith("input up:"));
    }
}
