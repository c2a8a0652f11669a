namespace Fkd.Stages.Outliers;

public sealed record OutlierParams : IStageParams
{
    [Param("eye_distance_z", "robust z (median/MAD) of the eye-centre distance beyond which a row is flagged", Min = 0)]
    public double EyeDistanceZ { get; init; } = 5.0;

    [Param("shape_z", "robust z of a keypoint's distance from the fitted mean shape beyond which a row is flagged", Min = 0)]
    public double ShapeZ { get; init; } = 8.0;

    [Param("order_margin_px", "an order rule (left eye right of right eye, mouth below nose, nose below eyes) fails when its gap is below this many px", Min = -96, Max = 96)]
    public double OrderMarginPx { get; init; } = 0.0;

    [Param("min_scale_px", "floor of the robust scale (px) used in z scores, so near-exact labels do not give huge z", Min = 0.01)]
    public double MinScalePx { get; init; } = 0.5;

    [Param("min_points", "fewest labelled keypoints a row needs for the mean-shape check", Min = 3, Max = 15)]
    public int MinPoints { get; init; } = 4;
}
