namespace Fkd.Stages.Combine;

/// <summary>Where the 4 subset keypoints of a two-path prediction come from.</summary>
public enum FourKeypointsFrom { FromFour, Average, FromFull }

public sealed record CombineParams : IStageParams
{
    [Param("four_keypoints", "where the 4 subset keypoints come from: from-four, average (mean of both), from-full")]
    public FourKeypointsFrom FourKeypoints { get; init; } = FourKeypointsFrom.FromFour;
}
