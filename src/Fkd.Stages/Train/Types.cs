using Fkd.Stages.Torch;
namespace Fkd.Stages.Train;

/// <summary>
/// Images and targets in memory. Pixels: Count * 9216 bytes, the 8-bit grey levels as the Parquet
/// cache holds them (a quarter of the memory of floats; <see cref="BatchFeed"/> scales them per batch). Targets:
/// Count * outputs floats, normalised as (y - 48) / 48, NaN = missing; outputs = Targets.Length / Count
/// (30 for all keypoints, 8 for the 4-keypoint subset).
/// </summary>
public sealed record TrainingSet(int Count, byte[] Pixels, float[] Targets)
{
    public const int PixelsPerImage = ModelInputs.PixelsPerImage;

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
