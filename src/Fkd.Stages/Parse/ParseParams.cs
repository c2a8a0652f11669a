namespace Fkd.Stages.Parse;

public sealed record ParseParams : IStageParams
{
    [Param("mode", "strict: bad rows fail the stage; quarantine: bad rows go to quarantine.parquet")]
    public ParseMode Mode { get; init; } = ParseMode.Strict;

    [Param("max_errors", "strict mode: problems listed before stopping", Min = 1)]
    public int MaxErrors { get; init; } = 20;

    [Param("threads", "parser threads (0 = all cores); does not change the output", Min = 0)]
    public int Threads { get; init; }
}
