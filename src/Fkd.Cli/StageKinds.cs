using Fkd.Flow.Stages;
using Fkd.Stages.Stages;

namespace Fkd.Cli;

/// <summary>The composition root's list of stage kinds. Constructing them loads no native library.</summary>
public static class StageKinds
{
    public static StageRegistry Create() => new(
    [
        new KaggleSourceStage(),
        new ParseStage(),
        new DedupStage(),
        new LabelFixStage(),
        new OutlierStage(),
        new ReportStage(),
        new SplitStage(),
        new AugmentStage(),
        new TrainStage(),
        new PredictStage(),
        new CombineStage(),
        new EvaluateStage(),
        new SubmissionStage(),
        new StackStage(),
    ]);
}
