using System.Collections.Immutable;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CsCheck;
using Fkd.Flow.Keys;
using Fkd.Flow.Stages;
using LanguageExt;

namespace Fkd.Flow.Tests.Stages;

public enum Colour { Red, DarkBlue, [JsonStringEnumMemberName("green!")] Green }

/// <summary>A record with one field of every kind, in both styles a params record may take.</summary>
public sealed record Everything(
    [property: Param("count", "an int", Min = 1, Max = 9)] int Count = 3,
    [property: Param("seed", "a long")] long Seed = 42,
    [property: Param("rate", "a double", Min = 0)] double Rate = 1e-3,
    [property: Param("on", "a bool")] bool On = true,
    [property: Param("colour", "an enum")] Colour Colour = Colour.DarkBlue) : IStageParams
{
    [Param("name", "a string")] public string Name { get; init; } = "x";
    [Param("pick", "a string with choices", ChoicesFrom = nameof(Picks))] public string Pick { get; init; } = "b";
    [Param("xs", "numbers")] public ImmutableArray<double> Xs { get; init; } = [0.5];
    [Param("ks", "integers")] public ImmutableArray<int> Ks { get; init; } = [];
    [Param("ss", "strings")] public ImmutableArray<string> Ss { get; init; } = ["a"];
    public int NotAParameter { get; init; } = 7;

    private static IEnumerable<string> Picks => ["a", "b", "c"];

    public Validation<ParamProblem, Unit> Rules() => ParamRules.All(
        ParamRules.Check(Count <= Xs.Length + 5, "count", "at most 5 more than xs"),
        ParamRules.Each(Ks, "ks", k => k % 2 == 0, "an even number"));
}

public sealed class ParamSchemaTests
{
    private static readonly ParamSchema Schema = ParamSchema.Of<Everything>();

    private static ImmutableDictionary<string, JsonNode?> Defaults => Schema.Decls.ToImmutableDictionary(d => d.Name, d => d.Default);

    [Fact]
    public void Declarations_come_from_the_record_with_its_defaults_types_ranges_and_choices()
    {
        var d = Schema.Decls.ToDictionary(x => x.Name);
        Assert.Equal(["count", "seed", "rate", "on", "colour", "name", "pick", "xs", "ks", "ss"], Schema.Decls.Select(x => x.Name));
        Assert.Equal((ParamType.Int, "3", 1.0, 9.0), (d["count"].Type, d["count"].Default!.ToJsonString(), d["count"].Min, d["count"].Max));
        Assert.Equal((ParamType.Int, "42", (double?)null), (d["seed"].Type, d["seed"].Default!.ToJsonString(), d["seed"].Min));
        Assert.Equal((ParamType.Float, "0.001"), (d["rate"].Type, d["rate"].Default!.ToJsonString()));
        Assert.Equal((ParamType.Enum, "\"dark-blue\""), (d["colour"].Type, d["colour"].Default!.ToJsonString()));
        Assert.Equal<string>(["red", "dark-blue", "green!"], d["colour"].Choices);
        Assert.Equal<string>(["a", "b", "c"], d["pick"].Choices);
        Assert.Equal((ParamType.FloatList, "[0.5]"), (d["xs"].Type, d["xs"].Default!.ToJsonString()));
        Assert.Equal((ParamType.IntList, ParamType.StringList), (d["ks"].Type, d["ss"].Type));
        Assert.Equal("an int", d["count"].Description);
    }

    [Fact]
    public void Binding_the_defaults_gives_a_fresh_record_and_the_record_gives_back_the_defaults()
    {
        var bound = Schema.Bind<Everything>(Defaults);
        Assert.Equal(new Everything().ToString(), bound.ToString());
        Assert.Equal(Defaults.Select(p => (p.Key, CanonicalJson.Write(p.Value))).Order(),
            Schema.ToJson(bound).Select(p => (p.Key, CanonicalJson.Write(p.Value))).Order());
    }

    [Fact]
    public void Every_checked_value_binds_and_writes_back_to_the_same_key_material() =>
        Gen.Select(Gen.Int[1, 9], Gen.Long, Gen.Double[0, 1e6], Gen.Bool, Gen.Int[0, 2], Gen.Int[-50, 50].Array[0, 4])
            .Sample((count, seed, rate, on, colour, ks) =>
            {
                var given = Defaults.SetItems(new Dictionary<string, JsonNode?>
                {
                    ["count"] = count, ["seed"] = seed, ["rate"] = rate, ["on"] = on,
                    ["colour"] = Schema.Decls.First(d => d.Name == "colour").Choices[colour],
                    ["ks"] = new JsonArray([.. ks.Select(k => (JsonNode?)k)]),
                });
                var values = Schema.Decls.ToDictionary(d => d.Name, d => d.Check(given[d.Name]).IfLeft(why => throw new Exception(why)));
                var record = Schema.Bind<Everything>(values!);
                var back = Schema.ToJson(record);
                return record.Count == count && record.Seed == seed && record.Rate == rate && record.Ks.SequenceEqual(ks)
                    && values.All(v => CanonicalJson.Write(v.Value) == CanonicalJson.Write(back[v.Key]));
            });

    [Fact]
    public void Checking_accepts_exactly_the_values_in_range_and_is_idempotent() =>
        Gen.Double[-100, 100].Sample(v =>
        {
            var decl = Schema.Decls.First(d => d.Name == "count");
            var r = decl.Check(JsonValue.Create(v));
            var inRange = v == Math.Floor(v) && v is >= 1 and <= 9;
            return r.IsRight == inRange && (!inRange || CanonicalJson.Write(decl.Check(r.IfLeft(_ => null!)).IfLeft(_ => null!)) == CanonicalJson.Write(r.IfLeft(_ => null!)));
        });

    [Fact]
    public void Rules_report_every_problem_by_parameter_name()
    {
        var values = Defaults.SetItems(new Dictionary<string, JsonNode?> { ["count"] = 9, ["ks"] = new JsonArray(2, 3, 5) });
        var problems = Schema.CheckRules(values).FailToSeq().Select(p => $"{p.Param}: {p.Message}").ToList();
        Assert.Equal(["count: at most 5 more than xs", "ks: item 1: expected an even number, found 3", "ks: item 2: expected an even number, found 5"], problems);
        Assert.True(Schema.CheckRules(Defaults).IsSuccess);
    }

    private sealed record BadDefault : IStageParams
    {
        [Param("n", "out of its own range", Min = 5)] public int N { get; init; } = 1;
    }

    private sealed record Twice : IStageParams
    {
        [Param("n", "one")] public int A { get; init; }
        [Param("n", "two")] public int B { get; init; }
    }

    [Fact]
    public void A_record_that_contradicts_itself_is_refused_when_its_schema_is_made()
    {
        Assert.Contains("fails its own declaration", Assert.Throws<ArgumentException>(() => ParamSchema.Of<BadDefault>()).Message);
        Assert.Contains("declared twice", Assert.Throws<ArgumentException>(() => ParamSchema.Of<Twice>()).Message);
    }
}
