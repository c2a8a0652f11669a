namespace Fkd.Stages.Synthetic;

/// <summary>
/// Options of the synthetic-face generator. The same options always give byte-identical data.
/// </summary>
/// <param name="TrainRows">Rows of the training set (duplicates included).</param>
/// <param name="TestRows">Images of the test set (ImageId 1..TestRows).</param>
/// <param name="Seed">Seed of every random choice.</param>
/// <param name="PartialFraction">Fraction of training rows labelled with only the 4-keypoint subset.</param>
/// <param name="DuplicateGroups">Groups of 2 or 3 training rows with byte-identical images (labels jittered ~±1 px).</param>
/// <param name="WrongLabels">Training rows with a deliberately wrong label.</param>
/// <param name="BlankImages">Training rows whose image is one constant colour (labels still present).</param>
/// <param name="Noise">Standard deviation of the Gaussian pixel noise, in grey levels.</param>
/// <param name="MaxDegreeOfParallelism">Threads used to render; -1 = all. Does not change the output.</param>
/// <param name="MaxRotationDegrees">In-plane rotation is drawn from ±this.</param>
/// <param name="MinScale">Smallest face scale (1 = the model face's size).</param>
/// <param name="MaxScale">Largest face scale.</param>
/// <param name="MaxShift">Translation of the face centre, ±pixels on each axis.</param>
/// <param name="MaxYawDegrees">Yaw (head turn), approximated by horizontal compression and depth-dependent shift.</param>
public sealed record SyntheticOptions(
    int TrainRows = 2000,
    int TestRows = 300,
    long Seed = 42,
    double PartialFraction = 0.7,
    int DuplicateGroups = 20,
    int WrongLabels = 5,
    int BlankImages = 2,
    double Noise = 6.0,
    int MaxDegreeOfParallelism = -1,
    double MaxRotationDegrees = 15,
    double MinScale = 0.8,
    double MaxScale = 1.15,
    double MaxShift = 4,
    double MaxYawDegrees = 10)
{
    /// <summary>Number of partial-label rows these options ask for: round(PartialFraction × TrainRows).</summary>
    public int PartialRowCount => (int)Math.Round(PartialFraction * TrainRows, MidpointRounding.AwayFromZero);

    internal void Validate()
    {
        if (TrainRows < 0) throw new ArgumentOutOfRangeException(nameof(TrainRows));
        if (TestRows < 0) throw new ArgumentOutOfRangeException(nameof(TestRows));
        if (!(PartialFraction >= 0 && PartialFraction <= 1)) throw new ArgumentOutOfRangeException(nameof(PartialFraction));
        if (DuplicateGroups < 0) throw new ArgumentOutOfRangeException(nameof(DuplicateGroups));
        if (WrongLabels < 0) throw new ArgumentOutOfRangeException(nameof(WrongLabels));
        if (BlankImages < 0 || BlankImages > 256) throw new ArgumentOutOfRangeException(nameof(BlankImages), "0..256 (each blank has its own grey level)");
        if (!(Noise >= 0)) throw new ArgumentOutOfRangeException(nameof(Noise));
        if (!(MinScale > 0 && MaxScale >= MinScale)) throw new ArgumentOutOfRangeException(nameof(MinScale));
        if (!(MaxShift >= 0) || !(MaxRotationDegrees >= 0) || !(MaxYawDegrees >= 0 && MaxYawDegrees < 60))
            throw new ArgumentOutOfRangeException(nameof(MaxShift), "pose ranges must be non-negative (yaw < 60°)");
        // Worst case: every duplicate group has 3 copies.
        if (3L * DuplicateGroups + WrongLabels + BlankImages > TrainRows)
            throw new ArgumentException($"TrainRows={TrainRows} is too small for {DuplicateGroups} duplicate groups (up to 3 rows each), {WrongLabels} wrong labels and {BlankImages} blank images.");
    }
}
