namespace Fkd.Stages.LabelFix;

public sealed record LabelFixParams : IStageParams
{
    [Param("drop_blank", "drop images with (almost) no contrast: no face to learn from")]
    public bool DropBlank { get; init; } = true;

    [Param("blank_std", "pixel standard deviation below which an image counts as blank", Min = 0)]
    public double BlankStd { get; init; } = 2.0;
}
