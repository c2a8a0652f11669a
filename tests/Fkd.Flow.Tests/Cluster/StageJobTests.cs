using Fkd.Flow.Cluster;
using Fkd.Flow.Exec;
using Fkd.Flow.Spec;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;

namespace Fkd.Flow.Tests.Cluster;

/// <summary>
/// A stage's job as it travels to a worker: the stages it is made from and nothing else, its input files named by
/// content, and a pipeline that plans to the same key wherever its files are put.
/// </summary>
public class StageJobTests
{
    private static readonly StageRegistry Registry = new([new CountingStage("toy"), new ListStage()]);

    private const string Json = """
        {"name": "p", "stages": {
          "a": {"kind": "toy", "params": {"label": "x", "n": 3}, "inputs": {"file": "data.txt"}},
          "b": {"kind": "toy", "params": {"label": "y"}, "inputs": {"up": "a"}, "queue": "big-box"},
          "side": {"kind": "toy", "params": {"label": "z"}},
          "c": {"foreach": {"n": [1, 2]}, "kind": "toy", "params": {"label": "c{n}"}, "inputs": {"up": "b"}},
          "all": {"kind": "join", "inputs": {"items": ["c-*/out.txt"]}}
        }}
        """;

    private static (Plan Plan, TempDir Dir) Planned()
    {
        var dir = new TempDir();
        File.WriteAllText(dir.File("p.json"), Json);
        File.WriteAllText(dir.File("data.txt"), "some input");
        var spec = PipelineLoader.Load(dir.File("p.json"), [], Registry, dir.Path).Match(s => s, e => throw new InvalidOperationException(string.Join("; ", e)));
        var store = new ArtifactStore(dir.File("store"));
        var hashes = FileHashCache.Load(dir.File("hashes.json"));
        return (Plan.Make(spec, Registry, store, hashes, new HashSet<string>()).Match(p => p, e => throw new InvalidOperationException(string.Join("; ", e))), dir);
    }

    [Fact]
    public void A_job_holds_its_stage_and_what_it_is_made_from_and_plans_to_the_same_key_with_its_files_elsewhere()
    {
        var (plan, dir) = Planned();
        using var _ = dir;
        var job = Coordinator.JobFor(plan, plan["all"]);
        var back = StageJob.FromJson(job.ToJson());
        Assert.Equal((job.Pipeline, job.Stage, job.Key, job.Spec, job.Coordinator), (back.Pipeline, back.Stage, back.Key, back.Spec, back.Coordinator));
        Assert.Equal(job.Files, back.Files);

        // The worker's copy of the input lives under its own store, named HASH/NAME.
        var hash = plan.FileInputs.Single().Value;
        Assert.Equal([$"{hash}/data.txt"], back.Files.Keys);
        using var worker = new TempDir();
        var inputs = worker.File("inputs");
        Directory.CreateDirectory(Path.Combine(inputs, hash));
        File.WriteAllText(Path.Combine(inputs, hash, "data.txt"), "some input");
        var root = PipelineLoader.ParseJson(back.Spec, "job").Match(r => r, e => throw new InvalidOperationException(string.Join("; ", e)));
        var spec = PipelineLoader.Validate(root, back.Pipeline, inputs, Registry).Match(s => s, e => throw new InvalidOperationException(string.Join("; ", e)));
        Assert.Equal(["a", "all", "b", "c-1", "c-2"], spec.Stages.Select(s => s.Name).Order(StringComparer.Ordinal));
        var there = Plan.Make(spec, Registry, new ArtifactStore(worker.File("store")), FileHashCache.Load(worker.File("h.json")), new HashSet<string>())
            .Match(p => p, e => throw new InvalidOperationException(string.Join("; ", e)));
        foreach (var s in there.Stages) Assert.Equal(plan[s.Name].Key, s.Key);
        Assert.Equal("big-box", spec.Find("b").Match(s => s.Queue, () => null));
    }

    [Fact]
    public void A_stage_goes_to_the_queue_its_pipeline_names_else_cpu()
    {
        var (plan, dir) = Planned();
        using var _ = dir;
        Assert.Equal("big-box", plan["b"].Spec.Queue);
        Assert.Null(plan["a"].Spec.Queue);
        Assert.Equal(QueueNames.Cpu, plan["a"].Kind.QueueFor(plan["a"].Spec.Params));
    }

    [Theory]
    [InlineData("\"GPU\"")]
    [InlineData("\"\"")]
    [InlineData("3")]
    [InlineData("\"gpu queue\"")]
    public void A_queue_that_Hangfire_would_refuse_is_a_spec_error(string queue)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("p.json"), """{"stages": {"a": {"kind": "toy", "params": {"label": "x"}, "queue": Q}}}""".Replace("Q", queue));
        var r = PipelineLoader.Load(dir.File("p.json"), [], Registry, dir.Path);
        Assert.Contains(r.FailToSeq(), e => e.ToString().Contains("$.stages.a.queue: expected a queue name"));
    }
}
