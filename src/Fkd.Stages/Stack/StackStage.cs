namespace Fkd.Stages.Stack;

/// <summary>
/// Stacking in one stage: a ridge (or elastic-net) meta-regressor per output coordinate, fitted on several models'
/// out-of-fold predictions against the training labels, then applied to the same models' predictions on a
/// target set (validation or test). The <c>oof</c> list is grouped models × folds in order: the
/// first <c>oof.Count / models</c> files are model 0's folds, and so on; <c>predict</c> holds one
/// file per model in the same model order. stack-fit and stack-apply do the same in two stages, so one fit serves
/// several target sets and a new target set fits nothing.
/// </summary>
// Version 3: a model that predicts only some coordinates (targets "four": 8 of the 30) gets features for those only, and
// with pairwise their 28 products (8C2) instead of all 435; the 22 missing coordinates and their products were constant
// columns that changed no prediction but filled weights.parquet (and the features fact) with dead rows.
public sealed class StackStage() : FaceStage<StackParams>("stack", 3, "ridge or elastic-net meta-regressor on out-of-fold predictions of several models", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, StackParams o, CancellationToken ct)
    {
        // Checked before the fit, which can take minutes, as well as by the apply.
        var predictFiles = ctx.InputList("predict");
        StackCore.CheckPredictFiles(predictFiles, o.Models);
        var fitted = await StackCore.FitAsync(ctx, o, ct);
        var stacked = await StackCore.ApplyAsync(fitted.Model, predictFiles, ct);
        await PredictionTable.WriteAsync(ctx.Output("predictions.parquet"), stacked, MetadataFor(ctx), ct);
        await StackCore.WriteWeights(ctx.Output("weights.parquet"), fitted.Model, MetadataFor(ctx), ct);
        return StageOutcome.Of(stacked.Count, [.. fitted.Facts]);
    }

    private static readonly ImmutableArray<InputDecl> Reads = [StackCore.OofInput, StackCore.TruthInput, StackCore.PredictInput];
    private static readonly ImmutableArray<string> Writes = ["predictions.parquet", "weights.parquet"];
}
