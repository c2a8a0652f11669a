using Fkd.Stages.Torch;

namespace Fkd.Stages.Predict;

public sealed record PredictParams : TorchStageParams
{
    [Param("only_fold", "predict only rows whose fold tag equals this (-1 = all rows); for out-of-fold predictions", Min = -1)]
    public int OnlyFold { get; init; } = -1;

    /// <summary>A prediction-time choice, so changing it retrains nothing; added after predict's first keys, so 0 keeps them.</summary>
    [Param("shift_tta", "predict also on copies moved this many pixels each way along x and y (edges repeated), answers moved back and averaged (0 = off)", Min = 0, Max = 16, KeyAtDefault = false)]
    public int ShiftTta { get; init; }
}
