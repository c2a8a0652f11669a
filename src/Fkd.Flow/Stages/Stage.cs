using System.Collections.Immutable;
using System.Text.Json.Nodes;
using LanguageExt;

namespace Fkd.Flow.Stages;

/// <summary>
/// A stage kind whose parameters are the record <typeparamref name="TParams"/>: the engine checks and
/// keys them through its <see cref="ParamSchema"/>, and the stage receives the bound record, never a
/// lookup by name.
/// </summary>
public abstract class Stage<TParams>(string kind, int version, string description, ImmutableArray<InputDecl> inputs, ImmutableArray<string> outputs) : IStage
    where TParams : IStageParams
{
    private static readonly ParamSchema Schema = ParamSchema.Of<TParams>();

    public string Kind { get; } = kind;
    public int Version { get; } = version;
    public string Description { get; } = description;
    public ImmutableArray<ParamDecl> Params => Schema.Decls;
    public ImmutableArray<InputDecl> Inputs { get; } = inputs;
    public ImmutableArray<string> Outputs { get; } = outputs;
    public virtual string KeyFacts => "";

    public Validation<ParamProblem, Unit> CheckRules(IReadOnlyDictionary<string, JsonNode?> checkedParams) => Schema.CheckRules(checkedParams);

    public string QueueFor(IReadOnlyDictionary<string, JsonNode?> checkedParams) =>
        Schema.Bind<TParams>(checkedParams) is IQueueHint hint ? hint.Queue : Cluster.QueueNames.Cpu;

    public Task<StageOutcome> RunAsync(StageContext context, CancellationToken cancel) =>
        RunAsync(context, Schema.Bind<TParams>(context.Parameters.ToDictionary(p => p.Key, p => (JsonNode?)p.Value)), cancel);

    /// <summary>The stage's work, given its checked and bound parameters.</summary>
    protected abstract Task<StageOutcome> RunAsync(StageContext context, TParams p, CancellationToken cancel);
}
