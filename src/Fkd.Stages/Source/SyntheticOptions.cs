using LanguageExt;
using static Fkd.Flow.Stages.ParamRules;

namespace Fkd.Stages.Source;

/// <summary>
/// Options of the synthetic-face generator, and the source stage's parameters (the fields with a
/// <see cref="ParamAttribute"/>; the pose ranges and the thread count are the generator's own). The same
/// options always give byte-identical data.
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
    [property: Param("train_rows", "synthetic training rows", Min = 10)] int TrainRows = 2000,
    [property: Param("test_rows", "synthetic test images", Min = 1)] int TestRows = 300,
    [property: Param("seed", "seed of the synthetic faces")] long Seed = 42,
    [property: Param("partial_fraction", "share of training rows labelled with only the 4 keypoints", Min = 0, Max = 1)] double PartialFraction = 0.7,
    [property: Param("duplicate_groups", "groups of exact duplicate images", Min = 0)] int DuplicateGroups = 20,
    [property: Param("wrong_labels", "rows with a deliberately wrong label", Min = 0)] int WrongLabels = 5,
    [property: Param("blank_images", "images with no face (each has its own grey level)", Min = 0, Max = 256)] int BlankImages = 2,
    [property: Param("noise", "pixel noise (grey levels, standard deviation)", Min = 0)] double Noise = 6.0,
    int MaxDegreeOfParallelism = -1,
    double MaxRotationDegrees = 15,
    double MinScale = 0.8,
    double MaxScale = 1.15,
    double MaxShift = 4,
    double MaxYawDegrees = 10) : IStageParams
{
    /// <summary>Number of partial-label rows these options ask for: round(PartialFraction × TrainRows).</summary>
    public int PartialRowCount => (int)Math.Round(PartialFraction * TrainRows, MidpointRounding.AwayFromZero);

    /// <summary>Room for every planted row (worst case: every duplicate group has 3 copies).</summary>
    public Validation<ParamProblem, Unit> Rules() => All(
        Check(3L * DuplicateGroups + WrongLabels + BlankImages <= TrainRows, "train_rows",
            $"room for {DuplicateGroups} duplicate groups (up to 3 rows each), {WrongLabels} wrong labels and {BlankImages} blank images: at least {3L * DuplicateGroups + WrongLabels + BlankImages}, found {TrainRows}"));

    /// <summary>For callers outside a pipeline (tests, benchmarks): the parameter rules and the generator's own ranges, as one exception.</summary>
    internal void Validate()
    {
        var problems = Rules().FailToSeq().Select(p => $"{p.Param}: {p.Message}").ToList();
        if (TrainRows < 0 || TestRows < 0 || !(PartialFraction >= 0 && PartialFraction <= 1) || DuplicateGroups < 0 || WrongLabels < 0
            || BlankImages < 0 || BlankImages > 256 || !(Noise >= 0))
            problems.Add("counts must be >= 0 (blank images at most 256), partial_fraction in [0, 1], noise >= 0");
        if (!(MinScale > 0 && MaxScale >= MinScale) || !(MaxShift >= 0) || !(MaxRotationDegrees >= 0) || !(MaxYawDegrees >= 0 && MaxYawDegrees < 60))
            problems.Add("pose ranges must be non-negative (scale > 0, yaw < 60°)");
        if (problems.Count > 0) throw new ArgumentException("synthetic options: " + string.Join("; ", problems));
    }
}
