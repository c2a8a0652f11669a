namespace Fkd.Stages.Faces;

/// <summary>The shell every face stage shares: reading and writing face tables, and the Parquet metadata saying who wrote a file.</summary>
public abstract class FaceStage<TParams>(string kind, int version, string description, ImmutableArray<InputDecl> inputs, ImmutableArray<string> outputs)
    : Stage<TParams>(kind, version, description, inputs, outputs)
    where TParams : IStageParams
{
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
