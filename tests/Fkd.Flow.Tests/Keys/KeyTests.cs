using System.Collections.Immutable;
using Fkd.Flow.Keys;

namespace Fkd.Flow.Tests.Keys;

public class KeyTests
{
    private static KeyMaterial M(string kind = "k", int version = 1, string prms = """{"a":1}""", string facts = "", params (string, string)[] inputs) =>
        new(kind, version, prms, inputs.ToImmutableSortedDictionary(i => i.Item1, i => i.Item2, StringComparer.Ordinal), facts, KeyMaterial.CurrentFormatVersion);

    [Fact]
    public void Same_material_gives_the_same_key() =>
        Assert.Equal(M(inputs: [("x", "file:abc")]).Key(), M(inputs: [("x", "file:abc")]).Key());

    [Fact]
    public void Key_is_256_bit_hex() => Assert.Matches("^[0-9a-f]{64}$", M().Key());

    [Theory]
    [InlineData("kind")]
    [InlineData("version")]
    [InlineData("params")]
    [InlineData("input")]
    [InlineData("input-name")]
    [InlineData("facts")]
    public void Any_change_gives_a_new_key(string what)
    {
        var a = M(inputs: [("x", "file:abc")]);
        var b = what switch
        {
            "kind" => M(kind: "k2", inputs: [("x", "file:abc")]),
            "version" => M(version: 2, inputs: [("x", "file:abc")]),
            "params" => M(prms: """{"a":2}""", inputs: [("x", "file:abc")]),
            "input" => M(inputs: [("x", "file:abd")]),
            "input-name" => M(inputs: [("y", "file:abc")]),
            _ => M(facts: "torch=2", inputs: [("x", "file:abc")]),
        };
        Assert.NotEqual(a.Key(), b.Key());
    }

    [Fact]
    public void Length_prefixes_keep_shifted_boundaries_apart() =>
        Assert.NotEqual(M(kind: "ab", facts: "c").Key(), M(kind: "a", facts: "bc").Key());

    [Fact]
    public void Canonical_json_ignores_key_order_and_number_spelling() =>
        Assert.Equal(
            CanonicalJson.Write(System.Text.Json.Nodes.JsonNode.Parse("""{"b": 2.0, "a": [1, 0.5]}""")),
            CanonicalJson.Write(System.Text.Json.Nodes.JsonNode.Parse("""{"a":[1,5e-1],"b":2}""")));

    [Fact]
    public void Diff_names_what_changed()
    {
        var d = M(prms: """{"a":2,"b":1}""", inputs: [("x", "file:abcdef")]).DiffFrom(M(prms: """{"a":1,"b":1}""", inputs: [("x", "file:123456")]));
        Assert.Contains("param a: 1 → 2", d);
        Assert.Contains(d, l => l.StartsWith("input x:"));
        Assert.Equal(2, d.Length);
    }
}
