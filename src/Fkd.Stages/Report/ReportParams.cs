using LanguageExt;
using static Fkd.Flow.Stages.ParamRules;

namespace Fkd.Stages.Report;

public sealed record ReportParams : IStageParams
{
    [Param("pca_side", "images are block-averaged to this side before PCA (must divide 96)", Min = 4, Max = 96)]
    public int PcaSide { get; init; } = 24;

    [Param("components", "PCA components the adversarial classifier sees", Min = 2, Max = 50)]
    public int Components { get; init; } = 10;

    [Param("folds", "folds of the adversarial validation", Min = 2, Max = 20)]
    public int Folds { get; init; } = 5;

    [Param("seed", "seed of PCA start vectors and fold assignment")]
    public int Seed { get; init; } = 1;

    [Param("max_rows_for_pca", "rows (train + test, evenly subsampled) used for PCA and adversarial validation", Min = 10)]
    public int MaxRowsForPca { get; init; } = 6000;

    [Param("max_groups", "duplicate groups shown", Min = 0)]
    public int MaxGroups { get; init; } = 8;

    [Param("max_outliers", "flagged outliers shown", Min = 0)]
    public int MaxOutliers { get; init; } = 24;

    [Param("extreme_keypoints", "keypoints (Kaggle index) whose min/max x and y rows are shown")]
    public ImmutableArray<int> ExtremeKeypoints { get; init; } = [0, 10, 14];

    public Validation<ParamProblem, Unit> Rules() => All(
        Check(Keypoints.ImageSide % PcaSide == 0, "pca_side", $"a divisor of {Keypoints.ImageSide}, found {PcaSide}"),
        Each(ExtremeKeypoints, "extreme_keypoints", k => k is >= 0 and < Keypoints.Count, $"a keypoint index in [0, {Keypoints.Count - 1}]"));
}
