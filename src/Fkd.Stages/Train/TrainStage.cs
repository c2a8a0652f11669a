using System.Globalization;
using System.Text.Json;
using Fkd.Stages.Drawing;
using Fkd.Stages.Torch;

namespace Fkd.Stages.Train;

/// <summary>
/// Trains a keypoint model with TorchSharp (CPU here; CUDA when built with the CUDA package and a
/// GPU is present). Targets: <c>masked</c> = one 30-output model on every row, loss masked where a
/// keypoint is missing; <c>full</c> = 30 outputs on rows with all 15 keypoints; <c>four</c> = 8
/// outputs on the 4 keypoints every row has. A checkpoint is kept every epoch in the stage's
/// scratch folder, so an interrupted training resumes on rerun.
/// </summary>
// Version 2: metrics.parquet no longer holds the epochs' wall-clock seconds and images/s (they made two trainings of
// one key differ in bytes, whatever else was equal); they are the manifest's facts now (epoch_seconds, images_per_second).
public sealed class TrainStage() : FaceStage<TrainParams>("train", 3, "train a keypoint CNN (TorchSharp), masked loss for missing keypoints", Reads, Writes)
{
    /// <summary>Versions and backend that change numeric results. Constants: computing them must not load libtorch.</summary>
    public override string KeyFacts => TorchBackend.KeyFacts;

    protected override async Task<StageOutcome> RunAsync(StageContext ctx, TrainParams o, CancellationToken ct)
    {
        // The training images stream from the cache into a flat file beside the checkpoints, read image by
        // image in each epoch's shuffled order; only the targets (and the small validation set) are in memory.
        Directory.CreateDirectory(ctx.ScratchDir);
        var pixelPath = Path.Combine(ctx.ScratchDir, PixelFileName);
        using var trainSet = new Owned(await TrainingData.ToFileSetAsync(ctx.Input("train").Path, o.Targets, o.HoldoutFold, pixelPath, ct), pixelPath);
        return await TrainOn(ctx, o, trainSet.Set, ct);
    }

    /// <summary>The training images' flat file in the stage's scratch folder, made anew every run and removed after it.</summary>
    public const string PixelFileName = "train-pixels.bin";

    private sealed record Owned(TrainingSet Set, string Path) : IDisposable
    {
        public void Dispose()
        {
            Set.File?.Dispose();
            try { File.Delete(Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private async Task<StageOutcome> TrainOn(StageContext ctx, TrainParams o, TrainingSet trainSet, CancellationToken ct)
    {
        var val = ctx.OptionalInput("val") is not null ? TrainingData.Select(await ReadFaces(ctx, "val", ct), o.Targets) : null;
        if (trainSet.Count == 0) throw new InvalidDataException($"no training rows fit targets '{ParamSchema.ChoiceName(o.Targets)}'");
        var valSet = val is { Count: > 0 } ? TrainingData.ToSet(val, o.Targets) : null;
        ctx.Log.Information("Training {Model} on {Train} images ({Outputs} outputs), validating on {Val}", o.Model, trainSet.Count, trainSet.Outputs, valSet?.Count ?? 0);

        var result = Trainer.Train(trainSet, valSet, o, ctx.ScratchDir, m =>
        {
            ctx.Progress.Report(new StageProgress(m.Epoch, o.Epochs, string.Create(CultureInfo.InvariantCulture,
                $"epoch {m.Epoch}/{o.Epochs} loss {m.TrainLoss:F5}{(m.ValidationRmse is { } r ? $" val RMSE {r:F3} px" : "")} {m.ImagesPerSecond:F0} img/s")));
            // Debug: the run's JSON log keeps every epoch; the console shows the progress line above, once.
            ctx.Log.Debug("Epoch {Epoch}: loss {Loss:F5}, validation RMSE {Rmse:F3} px, {Rate:F0} img/s, {Seconds:F1} s",
                m.Epoch, m.TrainLoss, m.ValidationRmse, m.ImagesPerSecond, m.Seconds);
        }, ct);

        File.Copy(result.ModelFile, ctx.Output("model.bin"));
        var parameters = ModelInputs.ParameterCount(o.Model, trainSet.Outputs, o.ModelOptions);
        var info = new ModelInfo(o.Model, trainSet.Outputs, o.Dropout, o.Targets, o.FlipTta, parameters, result.BestEpoch, result.BestValidationRmse);
        await File.WriteAllTextAsync(ctx.Output("model.json"), JsonSerializer.Serialize(info, ModelInfo.Json), ct);
        await WriteMetrics(ctx.Output("metrics.parquet"), result.Epochs, MetadataFor(ctx), ct);
        LossPlot.Write(ctx.Output("loss.png"), [.. result.Epochs.Select(e => new LossPoint(e.Epoch, e.TrainLoss, e.ValidationRmse))],
            $"{o.Model} ({parameters:N0} parameters)");
        return StageOutcome.Of(trainSet.Count, ("model", o.Model), ("parameters", parameters), ("epochs_run", result.Epochs.Count),
            ("best_epoch", result.BestEpoch), ("best_val_rmse", result.BestValidationRmse?.ToString("F4", CultureInfo.InvariantCulture) ?? ""),
            ("images_per_second", result.Epochs.Count == 0 ? "" : result.Epochs.Select(e => e.ImagesPerSecond).Order().ElementAt(result.Epochs.Count / 2).ToString("F0", CultureInfo.InvariantCulture)),
            ("epoch_seconds", string.Join(",", result.Epochs.Select(e => e.Seconds.ToString("F2", CultureInfo.InvariantCulture)))));
    }

    private static Task WriteMetrics(string path, IReadOnlyList<EpochMetrics> epochs, IReadOnlyDictionary<string, string> metadata, CancellationToken ct) =>
        SmallTable.WriteAsync(path, metadata, ct,
            TableColumn.Of("epoch", [.. epochs.Select(x => x.Epoch)]),
            TableColumn.Of("train_loss", [.. epochs.Select(x => x.TrainLoss)]),
            TableColumn.Of("val_rmse", [.. epochs.Select(x => x.ValidationRmse)]),
            TableColumn.Of("learning_rate", [.. epochs.Select(x => x.LearningRate)]));

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("train", InputShape.File, "training faces (e.g. augment/faces.parquet)"),
        new("val", InputShape.File, "validation faces, for per-epoch RMSE and early stopping", Optional: true),
    ];
    private static readonly ImmutableArray<string> Writes = ["model.bin", "model.json", "metrics.parquet", "loss.png"];
}
