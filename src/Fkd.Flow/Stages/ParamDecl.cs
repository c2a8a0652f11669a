using LanguageExt;
using static LanguageExt.Prelude;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fkd.Flow.Stages;

public enum ParamType { Int, Float, Bool, String, Enum, FloatList, IntList, StringList, Object }

/// <summary>
/// A parameter a stage kind accepts, as <see cref="ParamSchema"/> derives it from the kind's params record. A parameter with no default is required. Values are checked
/// (and ints widened to floats) before anything runs; the checked value, defaults included, is
/// what goes into the stage's key, so writing a default explicitly does not change the key. A parameter with
/// <see cref="KeyAtDefault"/> false is left out of the key while it has its default (see <see cref="ParamAttribute.KeyAtDefault"/>).
/// </summary>
public sealed record ParamDecl(
    string Name,
    ParamType Type,
    JsonNode? Default,
    string Description,
    ImmutableArray<string> Choices = default,
    double? Min = null,
    double? Max = null,
    bool KeyAtDefault = true)
{
    public bool Required => Default is null;

    /// <summary>Whether a checked value of this parameter enters the stage's key: always, but for a default that <see cref="KeyAtDefault"/> keeps out.</summary>
    public bool InKey(JsonNode? value) => KeyAtDefault || Default is null || !JsonNode.DeepEquals(value, Default);

    public string TypeName => Type switch
    {
        ParamType.Int => "an integer",
        ParamType.Float => "a number",
        ParamType.Bool => "true or false",
        ParamType.String => "a string",
        ParamType.Enum => "one of " + string.Join(", ", Choices.Select(c => $"\"{c}\"")),
        ParamType.FloatList => "an array of numbers",
        ParamType.IntList => "an array of integers",
        ParamType.StringList => "an array of strings",
        ParamType.Object => "an object",
        _ => Type.ToString(),
    };

    /// <summary>Checks a value against this declaration; returns the normalised value or why it is wrong.</summary>
    public Either<string, JsonNode> Check(JsonNode? value)
    {
        if (value is null) return Left($"expected {TypeName}, found null");
        // Re-read through the JSON text so values built in code (CLR ints) and parsed values convert alike.
        value = JsonNode.Parse(value.ToJsonString())!;
        var kind = value.GetValueKind();
        string Found() => kind switch
        {
            JsonValueKind.String => $"\"{value.GetValue<string>()}\"",
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ => value.ToJsonString(),
        };
        Either<string, JsonNode> Wrong() => Left($"expected {TypeName}, found {Found()}");
        switch (Type)
        {
            case ParamType.Int:
                if (kind != JsonValueKind.Number || !value.AsValue().TryGetValue<long>(out var l))
                {
                    if (kind == JsonValueKind.Number && value.AsValue().TryGetValue<double>(out var dd) && dd == Math.Floor(dd) && Math.Abs(dd) < 1e15)
                        l = (long)dd;
                    else return Wrong();
                }
                return InRange(l) ? Right<string, JsonNode>(JsonValue.Create(l)) : Left(RangeText(l));
            case ParamType.Float:
                if (kind != JsonValueKind.Number) return Wrong();
                var d = value.AsValue().GetValue<double>();
                return InRange(d) ? Right<string, JsonNode>(JsonValue.Create(d)) : Left(RangeText(d));
            case ParamType.Bool:
                return kind is JsonValueKind.True or JsonValueKind.False ? Right<string, JsonNode>(JsonValue.Create(kind == JsonValueKind.True)) : Wrong();
            case ParamType.String:
                return kind == JsonValueKind.String ? Right<string, JsonNode>(JsonValue.Create(value.GetValue<string>())) : Wrong();
            case ParamType.Enum:
                return kind == JsonValueKind.String && Choices.Contains(value.GetValue<string>())
                    ? Right<string, JsonNode>(JsonValue.Create(value.GetValue<string>())) : Wrong();
            case ParamType.FloatList or ParamType.IntList or ParamType.StringList:
                if (kind != JsonValueKind.Array) return Wrong();
                var items = new List<JsonNode?>();
                var elem = this with { Type = Type switch { ParamType.FloatList => ParamType.Float, ParamType.IntList => ParamType.Int, _ => ParamType.String } };
                foreach (var (item, i) in value.AsArray().Select((x, i) => (x, i)))
                {
                    var r = elem.Check(item);
                    if (r.IsLeft) return Left($"item {i}: {r.LeftToSeq().Head()}");
                    items.Add(r.RightToSeq().Head());
                }
                return Right<string, JsonNode>(new JsonArray([.. items]));
            case ParamType.Object:
                return kind == JsonValueKind.Object ? Right<string, JsonNode>(value.DeepClone()) : Wrong();
            default:
                return Wrong();
        }
    }

    private bool InRange(double v) => (Min is null || v >= Min) && (Max is null || v <= Max);

    /// <summary>What a value must be, for help text and errors: e.g. "an integer >= 1", "a number in [0, 1]", "one of "a", "b"".</summary>
    public string Expected => TypeName + RangeSuffix();

    /// <summary>One line of help: name, what it takes, its default (or "required") and what it does.</summary>
    public string HelpLine => $"{Name}: {Expected}, {(Required ? "required" : "default " + Keys.CanonicalJson.Write(Default))}. {Description}";

    private string RangeSuffix()
    {
        // An int field's implicit 32-bit bounds are not worth printing unless a value broke one.
        double? lo = Min is int.MinValue ? null : Min, hi = Max is int.MaxValue ? null : Max;
        return (lo, hi) switch
        {
            (not null, not null) => $" in [{F(lo.Value)}, {F(hi.Value)}]",
            (not null, null) => $" >= {F(lo.Value)}",
            (null, not null) => $" <= {F(hi.Value)}",
            _ => "",
        };
    }

    private string RangeText(double v)
    {
        var range = RangeSuffix();
        var width = v > int.MaxValue || v < int.MinValue ? $"{(range.Length > 0 ? " and" : "")} within 32 bits" : "";
        return $"expected {Expected}{width}, found {F(v)}";
    }

    private static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
}
