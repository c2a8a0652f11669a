namespace Fkd.Stages.Stack;

/// <summary>
/// The fitting half of <see cref="StackStage"/>: the meta-regressor fitted on the out-of-fold predictions, written as
/// stack.json for stack-apply (and weights.parquet to read). Its key holds only what the fit reads, so predicting a
/// new target set (a validation split, a holdout, a test file) reuses the fit: an elastic net that takes minutes is
/// fitted once, not once per target set.
/// </summary>
public sealed class StackFitStage() : FaceStage<StackParams>("stack-fit", 1, "fits a ridge or elastic-net meta-regressor on out-of-fold predictions of several models (stack.json, for stack-apply)", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, StackParams o, CancellationToken ct)
    {
        var fitted = await StackCore.FitAsync(ctx, o, ct);
        await File.WriteAllTextAsync(ctx.Output("stack.json"), StackModelFile.ToJson(fitted.Model), ct);
        await StackCore.WriteWeights(ctx.Output("weights.parquet"), fitted.Model, MetadataFor(ctx), ct);
        return StageOutcome.Of(fitted.Model.Fits.Count(f => f is not null), [.. fitted.Facts]);
    }

    private static readonly ImmutableArray<InputDecl> Reads = [StackCore.OofInput, StackCore.TruthInput];
    private static readonly ImmutableArray<string> Writes = ["stack.json", "weights.parquet"];
}
