using Fkd.Stages.Torch;

namespace Fkd.Stages.Train;

/// <summary>The learning-rate schedule: cosine (per epoch, from the learning rate towards 0), plateau (halve after 2 epochs without improvement of the validation RMSE, or of the training loss without validation), none.</summary>
public enum LrSchedule { Cosine, Plateau, None }

/// <summary>How training stores the model's 4-D weights and its batches: channels-last (NHWC, the faster
/// convolutions on the CPU; see <see cref="ChannelsLast"/>) or nchw (the order of earlier versions).</summary>
public enum TensorLayout { ChannelsLast, Nchw }

/// <summary>
/// How to train: the train stage's parameters, and what <see cref="Trainer.Train"/> takes. Patience 0 =
/// no early stopping (it needs a validation set). FlipTta is for the prediction step (<see cref="Predictor"/>);
/// the per-epoch validation RMSE is measured without it.
/// </summary>
public sealed record TrainParams(
    [property: Param("model", "architecture", ChoicesFrom = nameof(TrainParams.ModelChoices))] string Model = ModelFactory.Default,
    [property: Param("targets", "masked: all rows, loss masked where missing; full: rows with all 15; four: the 4 keypoints (8 outputs)")] TrainTargets Targets = TrainTargets.Masked,
    [property: Param("epochs", "training epochs", Min = 1)] int Epochs = 10,
    [property: Param("batch_size", "images per batch", Min = 1)] int BatchSize = 64,
    [property: Param("learning_rate", "Adam learning rate", Min = 0)] double LearningRate = 1e-3,
    [property: Param("beta1", "Adam beta1", Min = 0, Max = 1)] double Beta1 = 0.9,
    [property: Param("beta2", "Adam beta2", Min = 0, Max = 1)] double Beta2 = 0.999,
    [property: Param("eps", "Adam epsilon", Min = 0)] double Eps = 1e-8,
    [property: Param("weight_decay", "weight decay", Min = 0)] double WeightDecay = 0,
    [property: Param("dropout", "dropout rate", Min = 0, Max = 0.95)] double Dropout = 0.1,
    [property: Param("schedule", "learning-rate schedule")] LrSchedule Schedule = LrSchedule.Cosine,
    [property: Param("patience", "early stopping: epochs without validation improvement (0 = off)", Min = 0)] int Patience = 0,
    [property: Param("seed", "seed of weights and shuffling")] long Seed = 1,
    [property: Param("flip_tta", "predict also on the mirrored image and average")] bool FlipTta = true,
    [property: Param("ema", "decay of an exponential moving average of the weights, which validation scores and the model file holds (0 = off; e.g. 0.999)", Min = 0, Max = 0.999999)] double Ema = 0,
    [property: Param("layout", "memory layout of weights and batches in training: channels-last (faster) or nchw; the same model either way, to float rounding")] TensorLayout Layout = TensorLayout.ChannelsLast,
    [property: Param("holdout_fold", "train only on rows whose fold tag differs from this (-1 = all rows); for out-of-fold predictions", Min = -1)] int HoldoutFold = -1)
    : TorchStageParams
{
    private static IEnumerable<string> ModelChoices => ModelFactory.Names;

    public ModelOptions ModelOptions => new(Dropout);
}
