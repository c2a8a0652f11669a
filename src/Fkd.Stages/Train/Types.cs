using Fkd.Stages.Torch;
namespace Fkd.Stages.Train;

/// <summary>
/// Images and targets. Pixels: Count * 9216 bytes, the 8-bit grey levels as the Parquet cache holds
/// them (a quarter of the memory of floats; <see cref="BatchFeed"/> scales them per batch), in memory,
/// or, for a set made by <see cref="FromFile"/>, empty with the images in a <see cref="PixelFile"/>
/// (<see cref="File"/>) read image by image. Targets: Count * outputs floats, normalised as
/// (y - 48) / 48, NaN = missing; outputs = Targets.Length / Count (30 for all keypoints, 8 for the
/// 4-keypoint subset). Either way the trainer sees the same images in the same order.
/// </summary>
public sealed record TrainingSet(int Count, byte[] Pixels, float[] Targets)
{
    public const int PixelsPerImage = ModelInputs.PixelsPerImage;

    /// <summary>Where the images are when they are not in <see cref="Pixels"/>.</summary>
    public PixelFile? File { get; private init; }

    /// <summary>A set whose images stay in <paramref name="file"/> (one record per image, in order).</summary>
    public static TrainingSet FromFile(PixelFile file, float[] targets) => new(file.Count, [], targets) { File = file };

    public int Outputs => Count == 0 ? 0 : Targets.Length / Count;

    /// <summary>The 9,216 grey levels of image <paramref name="index"/>.</summary>
    public void CopyImage(int index, Span<byte> destination)
    {
        if (File is { } f) f.Read(index, destination);
        else Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage).CopyTo(destination);
    }

    public void Validate()
    {
        if (Count <= 0) throw new ArgumentException("A training set needs at least one image.");
        if (File is { } f ? f.Count != Count : Pixels.Length != (long)Count * PixelsPerImage)
            throw new ArgumentException($"Pixels has {(File is { } g ? (long)g.Count * PixelsPerImage : Pixels.Length)} values; expected {Count} x {PixelsPerImage}.");
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
