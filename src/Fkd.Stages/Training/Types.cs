namespace Fkd.Stages.Training;

/// <summary>How to train. Schedule: "cosine" (per epoch, from LearningRate towards 0) | "plateau"
/// (halve after 2 epochs without improvement of the validation RMSE, or of the training loss without
/// validation) | "none". Patience 0 = no early stopping (it needs a validation set). Threads 0 = all
/// cores. Device: "auto" | "cpu" | "cuda". FlipTta is for the caller's prediction step
/// (<see cref="Predictor"/>); the per-epoch validation RMSE is measured without it.</summary>
public sealed record TrainOptions(
    string Model = "cnn-small",
    int Epochs = 10,
    int BatchSize = 64,
    double LearningRate = 1e-3,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Eps = 1e-8,
    double WeightDecay = 0,
    double Dropout = 0.1,
    string Schedule = "cosine",
    int Patience = 0,
    long Seed = 1,
    int Threads = 0,
    string Device = "auto",
    bool FlipTta = true)
{
    public ModelOptions ModelOptions => new(Dropout);
}

/// <summary>
/// Images and targets in memory. Pixels: Count * 9216 bytes, the 8-bit grey levels as the Parquet
/// cache holds them (a quarter of the memory of floats; <see cref="BatchFeed"/> scales them per batch). Targets:
/// Count * outputs floats, normalised as (y - 48) / 48, NaN = missing; outputs = Targets.Length / Count
/// (30 for all keypoints, 8 for the 4-keypoint subset).
/// </summary>
public sealed record TrainingSet(int Count, byte[] Pixels, float[] Targets)
{
    public const int PixelsPerImage = 96 * 96;

    /// <summary>8-bit grey levels to the model's [0, 1] floats. The one place this scaling is written:
    /// training batches and prediction inputs must agree to the last bit.</summary>
    public static void ScalePixels(ReadOnlySpan<byte> grey, Span<float> scaled)
    {
        for (var k = 0; k < grey.Length; k++) scaled[k] = grey[k] * (1f / 255f);
    }

    public int Outputs => Count == 0 ? 0 : Targets.Length / Count;

    public void Validate()
    {
        if (Count <= 0) throw new ArgumentException("A training set needs at least one image.");
        if (Pixels.Length != (long)Count * PixelsPerImage)
            throw new ArgumentException($"Pixels has {Pixels.Length} values; expected {Count} x {PixelsPerImage}.");
        if (Targets.Length % Count != 0 || Targets.Length == 0)
            throw new ArgumentException($"Targets has {Targets.Length} values, not a positive multiple of {Count}.");
    }
}

/// <summary>One finished epoch. Epoch is 1-based. ValidationRmse is in pixels over present
/// coordinates only (null without a validation set).</summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double? ValidationRmse,
    double LearningRate,
    double Seconds,
    double ImagesPerSecond);

/// <summary>ModelFile: the model to use (best validation epoch when there is validation, else the
/// last), in TorchSharp's <c>module.save</c> format.</summary>
public sealed record TrainResult(
    string ModelFile,
    IReadOnlyList<EpochMetrics> Epochs,
    int BestEpoch,
    double? BestValidationRmse,
    bool StoppedEarly);
