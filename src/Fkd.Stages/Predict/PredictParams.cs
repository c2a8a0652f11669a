using Fkd.Stages.Torch;

namespace Fkd.Stages.Predict;

public sealed record PredictParams : TorchStageParams
{
    [Param("only_fold", "predict only rows whose fold tag equals this (-1 = all rows); for out-of-fold predictions", Min = -1)]
    public int OnlyFold { get; init; } = -1;
}
