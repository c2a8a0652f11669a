using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Fkd.Flow.Stages;
using Fkd.Stages.Faces;
using Fkd.Stages.Training;
using Parquet;
using Parquet.Schema;

namespace Fkd.Stages.Stages;

/// <summary>What predict needs to rebuild a trained model: written as model.json beside model.bin.</summary>
public sealed record ModelInfo(string Model, int Outputs, double Dropout, string Targets, bool FlipTta, long Parameters, int BestEpoch, double? BestValidationRmse)
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    public static ModelInfo Read(string path) => JsonSerializer.Deserialize<ModelInfo>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty model info");
}

/// <summary>
/// Trains a keypoint model with TorchSharp (CPU here; CUDA when built with the CUDA package and a
/// GPU is present). Targets: <c>masked</c> = one 30-output model on every row, loss masked where a
/// keypoint is missing; <c>full</c> = 30 outputs on rows with all 15 keypoints; <c>four</c> = 8
/// outputs on the 4 keypoints every row has. A checkpoint is kept every epoch in the stage's
/// scratch folder, so an interrupted training resumes on rerun.
/// </summary>
public sealed class TrainStage : FaceStage
{
    public override string Kind => "train";
    public override int Version => 1;
    public override string Description => "train a keypoint CNN (TorchSharp), masked loss for missing keypoints";

    /// <summary>Versions and backend that change numeric results. Constants: computing them must not load libtorch.</summary>
    public override string KeyFacts => TorchBackend.KeyFacts;

    public override ImmutableArray<ParamDecl> Params =>
    [
        new("model", ParamType.Enum, "cnn-small", "architecture", [.. ModelFactory.Names]),
        ParamDecl.OneOf("targets", "masked", "masked: all rows, loss masked where missing; full: rows with all 15; four: the 4 keypoints (8 outputs)", "masked", "full", "four"),
        ParamDecl.Int("epochs", 10, "training epochs", min: 1),
        ParamDecl.Int("batch_size", 64, "images per batch", min: 1),
        ParamDecl.Float("learning_rate", 1e-3, "Adam learning rate", min: 0),
        ParamDecl.Float("beta1", 0.9, "Adam beta1", min: 0, max: 1),
        ParamDecl.Float("beta2", 0.999, "Adam beta2", min: 0, max: 1),
        ParamDecl.Float("eps", 1e-8, "Adam epsilon", min: 0),
        ParamDecl.Float("weight_decay", 0, "weight decay", min: 0),
        ParamDecl.Float("dropout", 0.1, "dropout rate", min: 0, max: 0.95),
        ParamDecl.OneOf("schedule", "cosine", "learning-rate schedule", "cosine", "plateau", "none"),
        ParamDecl.Int("patience", 0, "early stopping: epochs without validation improvement (0 = off)", min: 0),
        ParamDecl.Int("seed", 1, "seed of weights and shuffling"),
        TorchBackend.ThreadsParam,
        TorchBackend.DeviceParam,
        ParamDecl.Bool("flip_tta", true, "predict also on the mirrored image and average"),
        ParamDecl.Int("holdout_fold", -1, "train only on rows whose fold tag differs from this (-1 = all rows); for out-of-fold predictions", min: -1),
    ];
    public override ImmutableArray<InputDecl> Inputs =>
    [
        new("train", InputShape.File, "training faces (e.g. augment/faces.parquet)"),
        new("val", InputShape.File, "validation faces, for per-epoch RMSE and early stopping", Optional: true),
    ];
    public override ImmutableArray<string> Outputs => ["model.bin", "model.json", "metrics.parquet", "loss.png"];

    public override async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken ct)
    {
        var targets = ctx.Str("targets");
        var train = Select(HoldOut(await ReadFaces(ctx, "train", ct), ctx.Int("holdout_fold")), targets);
        var val = ctx.OptionalInput("val") is not null ? Select(await ReadFaces(ctx, "val", ct), targets) : null;
        if (train.Count == 0) throw new InvalidDataException($"no training rows fit targets '{targets}'");
        var o = new TrainOptions(ctx.Str("model"), ctx.Int("epochs"), ctx.Int("batch_size"), ctx.Float("learning_rate"),
            ctx.Float("beta1"), ctx.Float("beta2"), ctx.Float("eps"), ctx.Float("weight_decay"), ctx.Float("dropout"),
            ctx.Str("schedule"), ctx.Int("patience"), ctx.Long("seed"), ctx.Int("threads"), ctx.Str("device"), ctx.Bool("flip_tta"));
        var trainSet = TrainingData.ToSet(train, targets);
        var valSet = val is { Count: > 0 } ? TrainingData.ToSet(val, targets) : null;
        ctx.Log.Information("Training {Model} on {Train} images ({Outputs} outputs), validating on {Val}", o.Model, trainSet.Count, trainSet.Outputs, valSet?.Count ?? 0);

        var result = Trainer.Train(trainSet, valSet, o, ctx.ScratchDir, m =>
        {
            ctx.Progress.Report(new StageProgress(m.Epoch, o.Epochs, string.Create(CultureInfo.InvariantCulture,
                $"epoch {m.Epoch}/{o.Epochs} loss {m.TrainLoss:F5}{(m.ValidationRmse is { } r ? $" val RMSE {r:F3} px" : "")} {m.ImagesPerSecond:F0} img/s")));
            ctx.Log.Information("Epoch {Epoch}: loss {Loss:F5}, validation RMSE {Rmse:F3} px, {Rate:F0} img/s, {Seconds:F1} s",
                m.Epoch, m.TrainLoss, m.ValidationRmse, m.ImagesPerSecond, m.Seconds);
        }, ct);

        File.Copy(result.ModelFile, ctx.Output("model.bin"));
        var parameters = TrainingData.ParameterCount(o.Model, trainSet.Outputs, o.ModelOptions);
        var info = new ModelInfo(o.Model, trainSet.Outputs, o.Dropout, targets, o.FlipTta, parameters, result.BestEpoch, result.BestValidationRmse);
        await File.WriteAllTextAsync(ctx.Output("model.json"), JsonSerializer.Serialize(info, ModelInfo.Json), ct);
        await WriteMetrics(ctx.Output("metrics.parquet"), result.Epochs, MetadataFor(ctx), ct);
        LossPlot.Write(ctx.Output("loss.png"), result.Epochs, $"{o.Model} ({parameters:N0} parameters)");
        return StageOutcome.Of(trainSet.Count, ("model", o.Model), ("parameters", parameters), ("epochs_run", result.Epochs.Count),
            ("best_epoch", result.BestEpoch), ("best_val_rmse", result.BestValidationRmse?.ToString("F4", CultureInfo.InvariantCulture) ?? ""),
            ("images_per_second", result.Epochs.Count == 0 ? "" : result.Epochs.Select(e => e.ImagesPerSecond).Order().ElementAt(result.Epochs.Count / 2).ToString("F0", CultureInfo.InvariantCulture)));
    }

    /// <summary>Rows whose <c>fold</c> tag differs from <paramref name="fold"/> (all rows when it is negative); the table must carry fold tags.</summary>
    public static IReadOnlyList<FaceRow> HoldOut(IReadOnlyList<FaceRow> rows, int fold)
    {
        if (fold < 0) return rows;
        if (rows.Count > 0 && rows.All(r => !r.Tags.ContainsKey("fold")))
            throw new InvalidDataException("holdout_fold needs rows tagged with 'fold' (the split stage's train.parquet, or augment of it)");
        return [.. rows.Where(r => r.TagOr("fold", -1) != fold)];
    }

    private static List<FaceRow> Select(IEnumerable<FaceRow> rows, string targets) => targets switch
    {
        "full" => rows.Where(r => r.Face.HasAll).ToList(),
        "four" => rows.Where(r => Keypoints.FourKeypointSubset.All(k => !float.IsNaN(r.Coords[2 * k]) && !float.IsNaN(r.Coords[2 * k + 1]))).ToList(),
        _ => rows.Where(r => r.Face.LabelledKeypoints > 0).ToList(),
    };

    private static Task WriteMetrics(string path, IReadOnlyList<EpochMetrics> epochs, IReadOnlyDictionary<string, string> metadata, CancellationToken ct) =>
        SmallTable.WriteAsync(path, metadata, ct,
            TableColumn.Of("epoch", [.. epochs.Select(x => x.Epoch)]),
            TableColumn.Of("train_loss", [.. epochs.Select(x => x.TrainLoss)]),
            TableColumn.Of("val_rmse", [.. epochs.Select(x => x.ValidationRmse)]),
            TableColumn.Of("learning_rate", [.. epochs.Select(x => x.LearningRate)]),
            TableColumn.Of("seconds", [.. epochs.Select(x => x.Seconds)]),
            TableColumn.Of("images_per_second", [.. epochs.Select(x => x.ImagesPerSecond)]));
}
