using System.Collections.Immutable;
using Fkd.Flow.Stages;
using Fkd.Stages.Faces;
using Fkd.Stages.Training;

namespace Fkd.Stages.Stages;

/// <summary>Predicts keypoints for a face table with a trained model (flip test-time augmentation when the model was trained with it).</summary>
public sealed class PredictStage : FaceStage
{
    public override string Kind => "predict";
    public override int Version => 1;
    public override string Description => "predict keypoints for a face table with a trained model";
    public override string KeyFacts => TorchBackend.KeyFacts;
    public override ImmutableArray<ParamDecl> Params =>
    [
        ParamDecl.Int("threads", 0, "torch threads (0 = all cores)", min: 0),
        ParamDecl.OneOf("device", "auto", "auto = CUDA when available", "auto", "cpu", "cuda"),
        ParamDecl.Int("only_fold", -1, "predict only rows whose fold tag equals this (-1 = all rows); for out-of-fold predictions", min: -1),
    ];
    public override ImmutableArray<InputDecl> Inputs =>
    [
        new("model", InputShape.Entry, "a train stage"),
        new("faces", InputShape.File, "faces to predict (e.g. split/val.parquet or test_rows/faces.parquet)"),
    ];
    public override ImmutableArray<string> Outputs => ["predictions.parquet"];

    public override async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken ct)
    {
        var model = ctx.Input("model");
        var rows = OnlyFold(await ReadFaces(ctx, "faces", ct), ctx.Int("only_fold"));
        var preds = Run(model.File("model.bin"), ModelInfo.Read(model.File("model.json")), rows, ctx.Str("device"), ctx.Int("threads"));
        await PredictionTable.WriteAsync(ctx.Output("predictions.parquet"), preds, MetadataFor(ctx), ct);
        return StageOutcome.Of(preds.Length);
    }

    /// <summary>Rows whose <c>fold</c> tag equals <paramref name="fold"/> (all rows when it is negative).</summary>
    public static IReadOnlyList<FaceRow> OnlyFold(IReadOnlyList<FaceRow> rows, int fold)
    {
        if (fold < 0) return rows;
        var picked = rows.Where(r => r.TagOr("fold", -1) == fold).ToList();
        if (picked.Count == 0) throw new InvalidDataException($"no row has fold tag {fold} (predict the split stage's train.parquet)");
        return picked;
    }

    public static ImmutableArray<Prediction> Run(string modelFile, ModelInfo info, IReadOnlyList<FaceRow> rows, string device = "auto", int threads = 0)
    {
        var outputs = Predictor.Predict(modelFile, info.Model, info.Outputs, TrainingData.Pixels(rows), rows.Count, info.FlipTta,
            new ModelOptions(info.Dropout), device, threads > 0 ? threads : null);
        return [.. rows.Select((r, i) => new Prediction(r.Id, r.Hash, TrainingData.ToCoords(outputs.AsSpan(i * info.Outputs, info.Outputs), info.Targets)))];
    }
}
