namespace Fkd.Stages.Stack;

/// <summary>
/// The predicting half of <see cref="StackStage"/>: a stack-fit stage's stack.json applied to the base models'
/// predictions on a target set, one predictions.parquet per model in the order the fit's oof list had them.
/// Bit for bit what `stack` with the same fit would predict.
/// </summary>
public sealed class StackApplyStage() : FaceStage<NoParams>("stack-apply", 1, "applies a fitted stack (stack-fit's stack.json) to the base models' predictions on a target set", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, NoParams _, CancellationToken ct)
    {
        var stack = ctx.Input("stack").Path;
        var model = StackModelFile.FromJson(await File.ReadAllTextAsync(stack, ct), stack);
        var stacked = await StackCore.ApplyAsync(model, ctx.InputList("predict"), ct);
        await PredictionTable.WriteAsync(ctx.Output("predictions.parquet"), stacked, MetadataFor(ctx), ct);
        ctx.Log.Information("Applied a stack of {Models} models ({Features} features) to {Rows} faces", model.Models, model.Layout.Count, stacked.Count);
        return StageOutcome.Of(stacked.Count, ("models", model.Models), ("features", model.Layout.Count));
    }

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("stack", InputShape.File, "a stack-fit stage's stack.json"),
        StackCore.PredictInput,
    ];
    private static readonly ImmutableArray<string> Writes = ["predictions.parquet"];
}
