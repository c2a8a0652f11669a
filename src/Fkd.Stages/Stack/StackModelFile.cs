using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fkd.Stages.Stack;

/// <summary>
/// A fitted stack as JSON (stack.json): the features' layout, the values that fill missing features, and per output
/// coordinate the fit's standardisation, weights and intercept. Doubles are written round-trip exact, so a stack read
/// back predicts bit for bit what the one that was fitted predicts; that is what lets stack-fit fit once and
/// stack-apply predict any set later without fitting again.
/// </summary>
public static class StackModelFile
{
    public const int Format = 1;

    private sealed record FileDto(int Format, StackFeatureSet Features, int[][] Coords, double[] Fill, FitDto?[] Fits);
    private sealed record FitDto(double[] Mean, double[] Scale, double[] Weights, double Intercept, int Rows);

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        // A constant feature's fill or mean may be any double; NaN never arises from a fit, but a file must not fail on it.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
    };

    public static string ToJson(StackModel model) => JsonSerializer.Serialize(new FileDto(Format, model.Layout.Features,
        [.. model.Layout.Coords.Select(c => c.ToArray())], model.Fill,
        [.. model.Fits.Select(f => f is null ? null : new FitDto(f.Mean, f.Scale, f.Weights, f.Intercept, f.Rows))]), Options);

    /// <summary>The stack in <paramref name="json"/>, or an error naming <paramref name="source"/> and what is wrong.</summary>
    public static StackModel FromJson(string json, string source)
    {
        FileDto? dto;
        try { dto = JsonSerializer.Deserialize<FileDto>(json, Options); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a stack file (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}");
        }
        if (dto is null) throw new InvalidDataException($"{source}: not a stack file (null)");
        if (dto.Format != Format) throw new InvalidDataException($"{source}: stack file format {dto.Format}, this build reads {Format}");
        if (dto.Coords is null || dto.Coords.Length == 0) throw new InvalidDataException($"{source}: no models in 'coords'");
        foreach (var c in dto.Coords)
            if (c is null || c.Any(i => i < 0 || i >= Keypoints.CoordCount) || c.Distinct().Count() != c.Length || !c.SequenceEqual(c.Order()))
                throw new InvalidDataException($"{source}: 'coords' must list each model's coordinates as distinct ascending indices 0..{Keypoints.CoordCount - 1}");
        var layout = new StackLayout(dto.Features, [.. dto.Coords.Select(c => c.ToImmutableArray())]);
        var p = layout.Count;
        if (dto.Fill is null || dto.Fill.Length != p) throw new InvalidDataException($"{source}: 'fill' has {dto.Fill?.Length ?? 0} values for {p} features");
        if (dto.Fits is null || dto.Fits.Length != Keypoints.CoordCount)
            throw new InvalidDataException($"{source}: 'fits' has {dto.Fits?.Length ?? 0} entries, expected one per coordinate ({Keypoints.CoordCount})");
        var fits = new RidgeFit?[dto.Fits.Length];
        for (var c = 0; c < fits.Length; c++)
        {
            if (dto.Fits[c] is not { } f) continue;
            if (f.Mean?.Length != p || f.Scale?.Length != p || f.Weights?.Length != p)
                throw new InvalidDataException($"{source}: fits[{c}] must hold {p} means, scales and weights");
            if (f.Scale.Any(s => !(s > 0))) throw new InvalidDataException($"{source}: fits[{c}] has a scale that is not positive");
            fits[c] = new RidgeFit(f.Mean, f.Scale, f.Weights, f.Intercept, f.Rows);
        }
        return new StackModel(layout, fits, dto.Fill);
    }
}
