using System.Collections.Immutable;
using Fkd.Flow.Stages;
using Fkd.Stages.Faces;

namespace Fkd.Stages.Stages;

/// <summary>Shared plumbing for stages that read and write face tables.</summary>
public abstract class FaceStage : IStage
{
    public abstract string Kind { get; }
    public abstract int Version { get; }
    public abstract string Description { get; }
    public abstract ImmutableArray<ParamDecl> Params { get; }
    public abstract ImmutableArray<InputDecl> Inputs { get; }
    public abstract ImmutableArray<string> Outputs { get; }
    public virtual string KeyFacts => "";

    public abstract Task<StageOutcome> RunAsync(StageContext context, CancellationToken cancel);

    /// <summary>Parquet key-value metadata: which stage, kind and key wrote the file, with which parameters.</summary>
    protected Dictionary<string, string> MetadataFor(StageContext ctx) => new()
    {
        ["fkd.stage"] = ctx.StageName,
        ["fkd.kind"] = Kind,
        ["fkd.version"] = Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["fkd.key"] = ctx.Key,
        ["fkd.params"] = ctx.ParametersJson(),
    };

    protected static Task<ImmutableArray<FaceRow>> ReadFaces(StageContext ctx, string input, CancellationToken ct) =>
        FaceTable.ReadAsync(ctx.Input(input).Path, ct);

    protected Task WriteFaces(StageContext ctx, string file, IReadOnlyList<FaceRow> rows, CancellationToken ct) =>
        FaceTable.WriteAsync(ctx.Output(file), rows, MetadataFor(ctx), ct);
}
