using System.Text.Json.Nodes;
using CsCheck;
using Fkd.Flow.Keys;

namespace Fkd.Flow.Tests.Keys;

/// <summary>Properties of the one spelling keys are made of: what means the same must hash the same, and nothing else may.</summary>
public sealed class CanonicalJsonProperties
{
    private static readonly Gen<string> Name = Gen.String[Gen.Char["abcxyz_é\"\\"], 1, 6];

    // Values built from what pipeline files hold: numbers (integral and not), strings, bools, nulls, arrays, objects.
    private static readonly Gen<JsonNode?> Leaf = Gen.OneOf<JsonNode?>(
        Gen.Long[-1_000_000, 1_000_000].Select(l => (JsonNode?)JsonValue.Create(l)),
        Gen.Double[-1e6, 1e6].Select(d => (JsonNode?)JsonValue.Create(d)),
        Name.Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Const((JsonNode?)null));

    private static readonly Gen<JsonNode?> Value = Gen.Recursive<JsonNode?>((depth, self) => depth >= 3 ? Leaf : Gen.OneOf(
        Leaf,
        self.List[0, 4].Select(items => (JsonNode?)new JsonArray([.. items.Select(i => i?.DeepClone())])),
        Gen.Dictionary(Name, self)[0, 4].Select(d => (JsonNode?)new JsonObject(d.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))))));

    [Fact]
    public void Key_order_never_changes_the_spelling() =>
        Gen.Dictionary(Name, Value)[0, 6].Select(Gen.Int).Sample((d, seed) =>
        {
            var pairs = d.ToList();
            var shuffled = pairs.OrderBy(_ => new Random(seed).Next()).ToList();
            var a = new JsonObject(pairs.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
            var b = new JsonObject(shuffled.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
            return CanonicalJson.Write(a) == CanonicalJson.Write(b);
        });

    [Fact]
    public void The_spelling_is_a_fixed_point_and_parses_back_to_an_equal_value() =>
        Value.Sample(v =>
        {
            var once = CanonicalJson.Write(v);
            var parsed = JsonNode.Parse(once);
            return CanonicalJson.Write(parsed) == once && JsonNode.DeepEquals(parsed, JsonNode.Parse(CanonicalJson.Write(v)));
        });

    [Fact]
    public void An_integral_number_is_spelt_alike_whether_written_as_an_integer_or_a_float() =>
        Gen.Long[-1_000_000_000, 1_000_000_000].Sample(l =>
            CanonicalJson.Write(JsonValue.Create(l)) == CanonicalJson.Write(JsonValue.Create((double)l))
            && CanonicalJson.Write(JsonNode.Parse($"{l}.0")) == CanonicalJson.Write(JsonValue.Create(l)));

    [Fact]
    public void Different_values_are_spelt_differently() =>
        Gen.Select(Value, Value).Sample((a, b) =>
            JsonNode.DeepEquals(JsonNode.Parse(CanonicalJson.Write(a)), JsonNode.Parse(CanonicalJson.Write(b)))
            == (CanonicalJson.Write(a) == CanonicalJson.Write(b)));
}
