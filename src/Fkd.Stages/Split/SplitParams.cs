namespace Fkd.Stages.Split;

public sealed record SplitParams : IStageParams
{
    [Param("val_fraction", "share of groups held out for validation", Min = 0, Max = 0.9)]
    public double ValFraction { get; init; } = 0.15;

    [Param("folds", "number of folds for cross-validation", Min = 2, Max = 50)]
    public int Folds { get; init; } = 5;

    [Param("seed", "seed of the assignment")]
    public int Seed { get; init; } = 1;

    [Param("group_column", "column of the groups CSV naming each row's group")]
    public string GroupColumn { get; init; } = "person";
}
