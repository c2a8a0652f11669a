namespace Fkd.Stages.Source;

/// <summary>
/// A generated data set in Kaggle's shape. <see cref="Train"/> ids are row indices (0-based);
/// <see cref="Test"/> ids are ImageIds (1-based) and carry no labels (all NaN).
/// </summary>
public sealed record SyntheticDataset(
    ImmutableArray<Face> Train,
    ImmutableArray<Face> Test,
    ImmutableArray<LookupRequest> Lookup,
    PlantedTraits Planted)
{
    /// <summary>True coordinates (30 floats, Kaggle column order) of each test image, index = ImageId - 1.</summary>
    public ImmutableArray<float[]> TestTruth => Planted.TestTruth;
}

/// <summary>One row of Kaggle's IdLookupTable.csv (its Location column is left empty).</summary>
public sealed record LookupRequest(int RowId, int ImageId, string FeatureName);

/// <summary>A deliberately wrong label: what the CSV says for <paramref name="Keypoint"/> and what is true.</summary>
public sealed record WrongLabel(int Row, int Keypoint, float TrueX, float TrueY, float GivenX, float GivenY, string Reason);

/// <summary>
/// What the generator planted in the training set on purpose, so cleaning stages can be checked
/// against it. Row numbers are training row indices (= Face.Id).
/// </summary>
/// <param name="PartialRows">Rows labelled with only <see cref="Keypoints.FourKeypointSubset"/> (8 coordinates), ascending.</param>
/// <param name="DuplicateGroups">Groups (2 or 3 rows, ascending) whose images are byte-identical.</param>
/// <param name="WrongLabels">One entry per wrong keypoint (an eye swap gives two entries for one row).</param>
/// <param name="BlankRows">Rows whose image is one constant grey level, ascending.</param>
/// <param name="TrainTruth">True 30 coordinates of every training row (before wrong labels, jitter and partial masking).</param>
/// <param name="TestTruth">True 30 coordinates of every test image, index = ImageId - 1.</param>
public sealed record PlantedTraits(
    ImmutableArray<int> PartialRows,
    ImmutableArray<ImmutableArray<int>> DuplicateGroups,
    ImmutableArray<WrongLabel> WrongLabels,
    ImmutableArray<int> BlankRows,
    ImmutableArray<float[]> TrainTruth,
    ImmutableArray<float[]> TestTruth)
{
    public int PartialCount => PartialRows.Length;
    public int DuplicateGroupCount => DuplicateGroups.Length;
    public int DuplicateRowCount => DuplicateGroups.Sum(g => g.Length);
    public ImmutableArray<int> WrongLabelRows => WrongLabels.Select(w => w.Row).Distinct().Order().ToImmutableArray();
    public int WrongLabelRowCount => WrongLabelRows.Length;
    public int BlankCount => BlankRows.Length;
}
