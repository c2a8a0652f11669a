using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fkd.Stages.Augment;

/// <summary>Parameters of one elastic deformation (Simard): displacement = Alpha · Gaussian(Sigma) ∗ uniform(−1, 1).</summary>
public readonly record struct ElasticSpec(double Alpha, double Sigma);

/// <summary>
/// An augmentation recipe, readable from JSON (property names case-insensitive; null or missing
/// lists mean "none"). It lists OPTIONS on three axes; <see cref="Recipe.Variants"/> turns it into
/// concrete <see cref="VariantPlan"/>s:
/// <list type="bullet">
/// <item><b>flip axis</b>: <see cref="Flip"/> — horizontal mirror x → 95 − x with left/right keypoints swapped.</item>
/// <item><b>geometric axis</b>: one option per entry of <see cref="Rotations"/> (degrees about the image
/// centre (47.5, 47.5), positive = counter-clockwise as displayed), <see cref="Shifts"/> (each magnitude s
/// gives four options: (±s, 0) and (0, ±s) px), <see cref="Scales"/> (factors about the centre) and
/// <see cref="Elastic"/> ((alpha, sigma) pairs, e.g. (991, 8) and (1201, 11)).</item>
/// <item><b>photometric axis</b>: one option per entry of <see cref="Brightness"/> (multiplicative factors:
/// 1.2/1.5 brighten, 0.6/0.8 dim), <see cref="Contrast"/> (each p stretches the [p, 100 − p] percentile range
/// to 0..255), <see cref="Gamma"/> (exponents), <see cref="Clahe"/> (one option: the skimage-style clip
/// limit, e.g. 0.03; null, 0 or false = off; true = 0.03), <see cref="NoiseSigma"/> (Gaussian σ as a fraction of 255, e.g. 0.03),
/// <see cref="Sharpen"/> (3x3 sharpen amounts; 1 = one classic pass) and <see cref="Blur"/> (Gaussian σ px).</item>
/// </list>
/// <para><see cref="Mode"/> "grid": deterministic enumeration. With <see cref="Combine"/> "product" the
/// variants are the cartesian product flip × (none + each geometric option) × (none + each photometric
/// option); with "single" each option is one variant on its own (flip counts as one option).
/// <see cref="IncludeOriginal"/> keeps or removes the untouched variant.</para>
/// <para><see cref="Mode"/> "random": <see cref="RandomDraws"/> variants per image (plus the original if
/// <see cref="IncludeOriginal"/>); each draw, from the PRNG seeded by (seed, image hash, variant index),
/// flips with <see cref="FlipProbability"/> (if <see cref="Flip"/>), picks one geometric option uniformly
/// with <see cref="GeometricProbability"/> and one photometric option with <see cref="PhotometricProbability"/>.</para>
/// <para>Rendering: <see cref="Interpolation"/> "bilinear" | "bicubic"; <see cref="Border"/> "replicate" |
/// "constant" (with <see cref="BorderValue"/>); <see cref="OutOfImage"/> "drop" (a variant that pushes any
/// labelled keypoint outside the image area [−0.5, 95.5]² is dropped) | "mark-missing" (such keypoints
/// become NaN and are counted).</para>
/// </summary>
public sealed record AugmentSpec(
    bool Flip = false,
    double[]? Rotations = null,
    double[]? Shifts = null,
    double[]? Scales = null,
    ElasticSpec[]? Elastic = null,
    double[]? Brightness = null,
    double[]? Contrast = null,
    double[]? Gamma = null,
    [property: JsonConverter(typeof(ClaheJsonConverter))] double? Clahe = null,
    double[]? NoiseSigma = null,
    double[]? Sharpen = null,
    double[]? Blur = null,
    string Mode = "grid",
    string Combine = "product",
    bool IncludeOriginal = true,
    int RandomDraws = 4,
    double FlipProbability = 0.5,
    double GeometricProbability = 0.75,
    double PhotometricProbability = 0.5,
    string OutOfImage = "drop",
    string Interpolation = "bilinear",
    string Border = "replicate",
    byte BorderValue = 0)
{
    /// <summary>The default recipe: flip × rotations ±5/9/13° × brightness ×1.2/×1.5 and dimming ×0.6/×0.8.</summary>
    public static AugmentSpec Default { get; } = new(
        Flip: true, Rotations: [-13, -9, -5, 5, 9, 13], Brightness: [1.2, 1.5, 0.6, 0.8]);

    /// <summary>The 2nd-place team's list, each augmentation on its own (grid, "single"), bicubic.</summary>
    public static AugmentSpec SecondPlace { get; } = new(
        Flip: true, Rotations: [-13, -9, -5, 5, 9, 13], Shifts: [2],
        Elastic: [new(991, 8), new(1201, 11)],
        Brightness: [1.2, 1.5, 0.6, 0.8], Contrast: [2], Clahe: 0.03, NoiseSigma: [0.03], Sharpen: [1],
        Combine: "single", Interpolation: "bicubic");

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>Reads a recipe from JSON, e.g. <c>{"flip": true, "rotations": [-5, 5], "elastic": [{"alpha": 991, "sigma": 8}]}</c>.</summary>
    public static AugmentSpec FromJson(string json) =>
        JsonSerializer.Deserialize<AugmentSpec>(json, JsonOptions) ?? throw new JsonException("Empty augment spec.");

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}

/// <summary>Reads <see cref="AugmentSpec.Clahe"/> as a clip limit (number), true (= 0.03), false or null (off).</summary>
public sealed class ClaheJsonConverter : JsonConverter<double?>
{
    public const double DefaultClip = 0.03;

    public override double? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.True => DefaultClip,
            JsonTokenType.False or JsonTokenType.Null => null,
            JsonTokenType.Number => reader.GetDouble(),
            JsonTokenType.String when double.TryParse(reader.GetString(), System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var v) => v,
            _ => throw new JsonException("clahe must be a clip limit, true, false or null."),
        };

    public override void Write(Utf8JsonWriter writer, double? value, JsonSerializerOptions options)
    {
        if (value is { } v) writer.WriteNumberValue(v); else writer.WriteNullValue();
    }
}
