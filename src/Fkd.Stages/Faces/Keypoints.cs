namespace Fkd.Stages.Faces;

/// <summary>
/// Kaggle's 15 keypoints, in Kaggle's column order. "Left" is the subject's left, so on the
/// image the left eye has the larger x. Coordinates are in pixel-index units: the centre of the
/// pixel in column i, row j is (i, j), so a horizontal flip maps x to 95 - x (the convention the
/// competition's 2nd-place team used, and the one every transform here follows).
/// </summary>
public static class Keypoints
{
    public const int Count = 15;
    public const int CoordCount = 30;
    public const int ImageSide = 96;
    public const int PixelCount = ImageSide * ImageSide;

    public static readonly ImmutableArray<string> Names =
    [
        "left_eye_center", "right_eye_center",
        "left_eye_inner_corner", "left_eye_outer_corner",
        "right_eye_inner_corner", "right_eye_outer_corner",
        "left_eyebrow_inner_end", "left_eyebrow_outer_end",
        "right_eyebrow_inner_end", "right_eyebrow_outer_end",
        "nose_tip",
        "mouth_left_corner", "mouth_right_corner",
        "mouth_center_top_lip", "mouth_center_bottom_lip",
    ];

    /// <summary>The 30 CSV column names: name_x, name_y per keypoint, Kaggle's order.</summary>
    public static readonly ImmutableArray<string> Columns =
        Names.SelectMany(n => new[] { n + "_x", n + "_y" }).ToImmutableArray();

    /// <summary>The 4 keypoints Kaggle's second source labels (eye centres, nose tip, bottom lip).</summary>
    public static readonly ImmutableArray<int> FourKeypointSubset = [0, 1, 10, 14];

    /// <summary>Left/right pairs (keypoint indices) swapped by a horizontal flip: Kaggle's 12 columns pairs = 6 keypoint pairs.</summary>
    public static readonly ImmutableArray<(int Left, int Right)> FlipPairs =
    [
        (0, 1), (2, 4), (3, 5), (6, 8), (7, 9), (11, 12),
    ];

    /// <summary>For each keypoint, the keypoint it becomes under a horizontal flip.</summary>
    public static readonly ImmutableArray<int> FlipPermutation = BuildFlipPermutation();

    private static ImmutableArray<int> BuildFlipPermutation()
    {
        var p = Enumerable.Range(0, Count).ToArray();
        foreach (var (l, r) in FlipPairs) { p[l] = r; p[r] = l; }
        return [.. p];
    }
}
