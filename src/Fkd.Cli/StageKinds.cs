using Fkd.Flow.Stages;
using Fkd.Stages.Augment;
using Fkd.Stages.Combine;
using Fkd.Stages.Dedup;
using Fkd.Stages.Evaluate;
using Fkd.Stages.LabelFix;
using Fkd.Stages.Outliers;
using Fkd.Stages.Parse;
using Fkd.Stages.Predict;
using Fkd.Stages.Report;
using Fkd.Stages.Source;
using Fkd.Stages.Split;
using Fkd.Stages.Stack;
using Fkd.Stages.Submission;
using Fkd.Stages.Train;

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
        new StackFitStage(),
        new StackApplyStage(),
    ]);
}
