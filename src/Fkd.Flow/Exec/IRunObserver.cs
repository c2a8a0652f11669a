namespace Fkd.Flow.Exec;

/// <summary>How a finished stage ended (Pulled: not cached locally, taken from the shared store).</summary>
/// <remarks>Run records store the number: new members go last.</remarks>
public enum StageStatus { Cached, Computed, Failed, Cancelled, Pulled }

/// <summary>One line of a run's report. <paramref name="Worker"/> names the worker that computed it, in a distributed run.</summary>
public sealed record StageResult(string Name, string Kind, string Key, StageStatus Status, long Rows, double Seconds, string? Error = null, string? Worker = null);

/// <summary>What the shell (console, progress bars, tests) hears while a run goes on. Called from several threads.</summary>
public interface IRunObserver
{
    void StageStarted(PlannedStage stage);
    void StageProgress(PlannedStage stage, Stages.StageProgress progress);
    void StageFinished(StageResult result);
}

public sealed class NullObserver : IRunObserver
{
    public static readonly NullObserver Instance = new();
    public void StageStarted(PlannedStage stage) { }
    public void StageProgress(PlannedStage stage, Stages.StageProgress progress) { }
    public void StageFinished(StageResult result) { }
}
