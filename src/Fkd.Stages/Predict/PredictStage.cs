using Fkd.Stages.Torch;

namespace Fkd.Stages.Predict;

/// <summary>
/// Predicts keypoints for a face table with one trained model, or with several (e.g. the k fold
/// models of a cross-validation) whose predictions are averaged per coordinate (flip test-time
/// augmentation for each model trained with it, shift test-time augmentation as <see cref="PredictParams.ShiftTta"/> says). Streams: the faces are read a row group at a time for each
/// model (<see cref="RunStreamingAsync"/>); only the predictions, not the images, are all in memory, and they
/// are written as one row group, as before.
/// </summary>
public sealed class PredictStage() : FaceStage<PredictParams>("predict", 2, "predict keypoints for a face table with a trained model", Reads, Writes)
{
    public override string KeyFacts => TorchBackend.KeyFacts;

    protected override async Task<StageOutcome> RunAsync(StageContext ctx, PredictParams p, CancellationToken ct)
    {
        var models = ctx.InputList("model");
        var faces = ctx.Input("faces").Path;
        var each = new List<ImmutableArray<Prediction>>(models.Length);
        foreach (var model in models)
        {
            ct.ThrowIfCancellationRequested();
            var s = await RunStreamingAsync(model.File("model.bin"), ModelInfo.Read(model.File("model.json")), faces, p.OnlyFold, p.Device, p.Threads, ct, p.ShiftTta);
            ctx.Log.Debug("Predict streamed {Groups} row groups; held at most {Held} images", s.RowGroupsIn, s.PeakImagesHeld);
            each.Add(s.Predictions);
        }
        var preds = Average(each);
        await PredictionTable.WriteAsync(ctx.Output("predictions.parquet"), preds, MetadataFor(ctx), ct);
        return StageOutcome.Of(preds.Length);
    }

    /// <summary>What a streaming prediction gave, and the most images it held at once (one input row group
    /// and one batch), whatever the row count; the predictions themselves (ids, hashes, coordinates) are all kept.</summary>
    public sealed record StreamSummary(ImmutableArray<Prediction> Predictions, int RowGroupsIn, long PeakImagesHeld);

    /// <summary>
    /// <see cref="Run"/> of <see cref="OnlyFold"/>'s rows, with the face table read a row group at a time into a
    /// <see cref="Predictor.Feed"/>: the same batches, so the same predictions to the bit, with no more than one
    /// row group of images in memory. Runs on one thread (torch's settings are per thread), off the caller's.
    /// </summary>
    public static Task<StreamSummary> RunStreamingAsync(string modelFile, ModelInfo info, string faces, int onlyFold,
        TorchDevice device = TorchDevice.Auto, int threads = 0, CancellationToken ct = default, int shiftTta = 0) => Task.Run(() =>
    {
        var ids = new List<(long Id, string Hash)>();
        var groups = 0;
        long peak = 0;
        float[] outputs;
        using (var feed = new Predictor.Feed(modelFile, info.Model, info.Outputs, info.FlipTta, new ModelOptions(info.Dropout), device, threads, shiftTta))
        {
            foreach (var group in FaceTable.ReadGroupsAsync(faces, ct).ToBlockingEnumerable(ct))
            {
                groups++;
                foreach (var r in group)
                {
                    if (onlyFold >= 0 && r.TagOr("fold", -1) != onlyFold) continue;
                    peak = Math.Max(peak, group.Length + feed.Buffered);
                    feed.Add(r.Pixels);
                    ids.Add((r.Id, r.Hash));
                }
            }
            if (onlyFold >= 0 && ids.Count == 0) throw new InvalidDataException(NoFold(onlyFold));
            outputs = feed.Finish();
        }
        return new StreamSummary([.. ids.Select((r, i) => new Prediction(r.Id, r.Hash, ModelInputs.ToCoords(outputs.AsSpan(i * info.Outputs, info.Outputs), info.Targets)))],
            groups, peak);
    }, ct);

    private static string NoFold(int fold) => $"no row has fold tag {fold} (predict the split stage's train.parquet)";

    /// <summary>Rows whose <c>fold</c> tag equals <paramref name="fold"/> (all rows when it is negative).</summary>
    public static IReadOnlyList<FaceRow> OnlyFold(IReadOnlyList<FaceRow> rows, int fold)
    {
        if (fold < 0) return rows;
        var picked = rows.Where(r => r.TagOr("fold", -1) == fold).ToList();
        if (picked.Count == 0) throw new InvalidDataException(NoFold(fold));
        return picked;
    }

    public static ImmutableArray<Prediction> Run(string modelFile, ModelInfo info, IReadOnlyList<FaceRow> rows, TorchDevice device = TorchDevice.Auto, int threads = 0,
        int shiftTta = 0)
    {
        var outputs = Predictor.Predict(modelFile, info.Model, info.Outputs, ModelInputs.Pixels(rows), rows.Count, info.FlipTta,
            new ModelOptions(info.Dropout), device, threads, shiftTta);
        return [.. rows.Select((r, i) => new Prediction(r.Id, r.Hash, ModelInputs.ToCoords(outputs.AsSpan(i * info.Outputs, info.Outputs), info.Targets)))];
    }

    /// <summary>
    /// The per-coordinate mean of several models' predictions of the same rows (same ids in the same order), over
    /// the models that give a value (NaN only where none does). One model's predictions are returned as they are.
    /// </summary>
    public static ImmutableArray<Prediction> Average(IReadOnlyList<ImmutableArray<Prediction>> each)
    {
        if (each.Count == 0) throw new ArgumentException("no predictions to average", nameof(each));
        if (each.Count == 1) return each[0];
        var first = each[0];
        foreach (var other in each.Skip(1))
        {
            if (other.Length != first.Length)
                throw new InvalidDataException($"models predicted {first.Length} and {other.Length} rows of the same table");
            for (var i = 0; i < first.Length; i++)
                if (other[i].Id != first[i].Id)
                    throw new InvalidDataException($"row {i}: one model predicted id {first[i].Id}, another id {other[i].Id}");
        }
        var res = ImmutableArray.CreateBuilder<Prediction>(first.Length);
        for (var i = 0; i < first.Length; i++)
        {
            var coords = new float[first[i].Coords.Length];
            for (var c = 0; c < coords.Length; c++)
            {
                double sum = 0;
                var n = 0;
                foreach (var p in each)
                    if (!float.IsNaN(p[i].Coords[c])) { sum += p[i].Coords[c]; n++; }
                coords[c] = n == 0 ? float.NaN : (float)(sum / n);
            }
            res.Add(first[i] with { Coords = coords });
        }
        return res.MoveToImmutable();
    }

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("model", InputShape.Entry, "a train stage, or a list of them (their predictions are averaged)", Many: true),
        new("faces", InputShape.File, "faces to predict (e.g. split/val.parquet or test_rows/faces.parquet)"),
    ];
    private static readonly ImmutableArray<string> Writes = ["predictions.parquet"];
}
