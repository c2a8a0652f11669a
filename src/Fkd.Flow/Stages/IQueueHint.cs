namespace Fkd.Flow.Stages;

/// <summary>
/// Parameters that say which queue a distributed run should send their stage's job to (e.g. a training
/// whose device asks for cuda goes to the GPU workers' queue). Stages whose parameters do not say go to "cpu".
/// </summary>
public interface IQueueHint
{
    string Queue { get; }
}
