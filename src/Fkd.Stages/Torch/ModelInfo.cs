using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fkd.Stages.Torch;

/// <summary>What a model predicts: masked = all 15 keypoints (30 outputs) learnt from every row, the loss masked where a keypoint is missing; full = 30 outputs learnt from rows with all 15; four = the 4 keypoints nearly every row has (8 outputs).</summary>
public enum TrainTargets { Masked, Full, Four }

/// <summary>What predict needs to rebuild a trained model: written by train as model.json beside model.bin.</summary>
public sealed record ModelInfo(string Model, int Outputs, double Dropout, TrainTargets Targets, bool FlipTta, long Parameters, int BestEpoch, double? BestValidationRmse)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    public static ModelInfo Read(string path) => JsonSerializer.Deserialize<ModelInfo>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty model info");
}
