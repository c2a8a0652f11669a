using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Fkd.Flow.Exec;
using Fkd.Flow.Spec;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;

namespace Fkd.Flow.Tests.Exec;

/// <summary>
/// A parameter added to a kind with <see cref="ParamAttribute.KeyAtDefault"/> false keeps every key made before it
/// while it has its default: the store's entries stay cached, and the files the stage writes stay the same bytes.
/// </summary>
public sealed class AddedParameterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public sealed record Before : IStageParams
    {
        [Param("n", "a number")] public int N { get; init; } = 1;
    }

    public sealed record After : IStageParams
    {
        [Param("n", "a number")] public int N { get; init; } = 1;
        [Param("extra", "added later; 0 does what the kind did before", KeyAtDefault = false)] public int Extra { get; init; }
    }

    /// <summary>Writes its parameters as its files' metadata would hold them.</summary>
    private sealed class Writer<T>(string kind) : IStage where T : IStageParams
    {
        public int Runs;
        public string Kind { get; } = kind;
        public int Version => 1;
        public string Description => "writes its parameters";
        public ImmutableArray<ParamDecl> Params => ParamSchema.Of<T>().Decls;
        public ImmutableArray<InputDecl> Inputs => [];
        public ImmutableArray<string> Outputs => ["params.json"];

        public async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken cancel)
        {
            Runs++;
            ParamSchema.Of<T>().Bind(ctx.Parameters.ToDictionary(p => p.Key, p => (JsonNode?)p.Value)); // binds with every value
            await File.WriteAllTextAsync(ctx.Output("params.json"), ctx.ParametersJson(), cancel);
            return StageOutcome.Of(1);
        }
    }

    private async Task<(string Key, string Status, string Written)> Run<T>(Writer<T> kind, params string[] sets) where T : IStageParams
    {
        File.WriteAllText(_dir.File("p.json"), """{"stages": {"s": {"kind": "w"}}}""");
        var registry = new StageRegistry([kind]);
        var store = new ArtifactStore(_dir.File("store"));
        var spec = PipelineLoader.Load(_dir.File("p.json"), sets, registry, _dir.Path);
        Assert.True(spec.IsSuccess, string.Join("\n", spec.FailToSeq()));
        var hashes = FileHashCache.Load(_dir.File("store/file-hashes.json"));
        var plan = Plan.Make(spec.SuccessToSeq().Head(), registry, store, hashes, new HashSet<string>()).SuccessToSeq().Head();
        var r = await new Executor(store, hashes, Serilog.Core.Logger.None, NullObserver.Instance, TimeProvider.System)
            .RunAsync(plan, 1, CancellationToken.None);
        var stage = r.Stages.Single();
        var key = plan.Stages.Single().Key;
        return (key, stage.Status.ToString().ToLowerInvariant(), File.ReadAllText(Path.Combine(store.EntryPath(key), "params.json")));
    }

    [Fact]
    public async Task At_its_default_the_key_and_the_files_are_those_from_before_it()
    {
        var before = await Run(new Writer<Before>("w"));
        var after = new Writer<After>("w");
        var same = await Run(after);
        Assert.Equal(before.Key, same.Key);
        Assert.Equal("cached", same.Status);
        Assert.Equal(0, after.Runs);

        // Written out at its default, it is still left out.
        var explicitDefault = await Run(after, "s.extra=0");
        Assert.Equal(before.Key, explicitDefault.Key);

        // Another value is part of the key like any parameter, and of what the stage is told and writes.
        var other = await Run(after, "s.extra=2");
        Assert.NotEqual(before.Key, other.Key);
        Assert.Equal("computed", other.Status);
        Assert.Contains("\"extra\":2", other.Written);
        Assert.DoesNotContain("extra", same.Written);
        Assert.Equal(before.Written, same.Written);
    }

    [Fact]
    public void A_key_without_it_binds_to_its_default()
    {
        var bound = ParamSchema.Of<After>().Bind<After>(new Dictionary<string, JsonNode?> { ["n"] = 3 });
        Assert.Equal(new After { N = 3, Extra = 0 }, bound);
        // A parameter that is always keyed must be there.
        Assert.Throws<ArgumentException>(() => ParamSchema.Of<After>().Bind<After>(new Dictionary<string, JsonNode?> { ["extra"] = 1 }));
    }
}
