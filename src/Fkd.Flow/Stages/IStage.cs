using System.Collections.Immutable;
using System.Text.Json.Nodes;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Fkd.Flow.Stages;

/// <summary>
/// The contract of a stage kind. A stage is a function from its inputs and parameters to the files
/// it writes into <see cref="StageContext.OutputDir"/>; the engine decides whether it runs, where
/// its output lives and when it becomes visible.
/// </summary>
public interface IStage
{
    /// <summary>The name used in pipeline JSON, e.g. <c>parse-kaggle</c>.</summary>
    string Kind { get; }

    /// <summary>Bumped whenever the stage's code changes what it writes: part of every key.</summary>
    int Version { get; }

    string Description { get; }

    ImmutableArray<ParamDecl> Params { get; }

    ImmutableArray<InputDecl> Inputs { get; }

    /// <summary>Files the stage always writes; a run that leaves one out is not committed. Other stages may reference them as <c>stage/file</c>.</summary>
    ImmutableArray<string> Outputs { get; }

    /// <summary>
    /// Facts outside the parameters that change results (library versions, device type); part of
    /// the key. Must be cheap: it is called on every run, cached or not.
    /// </summary>
    string KeyFacts => "";

    /// <summary>
    /// Rules across parameters (or over each item of a list), run by spec validation once every
    /// parameter has its type and range checked. Kinds built on <see cref="Stage{TParams}"/> run their
    /// record's <see cref="IStageParams.Rules"/>.
    /// </summary>
    Validation<ParamProblem, Unit> CheckRules(IReadOnlyDictionary<string, JsonNode?> checkedParams) => Success<ParamProblem, Unit>(unit);

    /// <summary>The queue a distributed run sends this stage's job to when its pipeline names none.</summary>
    string QueueFor(IReadOnlyDictionary<string, JsonNode?> checkedParams) => Cluster.QueueNames.Cpu;

    Task<StageOutcome> RunAsync(StageContext context, CancellationToken cancel);
}

/// <summary>What a finished stage reports: its main row count and any facts worth keeping in the manifest.</summary>
public sealed record StageOutcome(long Rows, ImmutableSortedDictionary<string, string> Facts)
{
    public static StageOutcome Of(long rows, params (string Key, object Value)[] facts) =>
        new(rows, facts.ToImmutableSortedDictionary(f => f.Key, f => Convert.ToString(f.Value, System.Globalization.CultureInfo.InvariantCulture) ?? ""));
}
