using Fkd.Flow.Exec;
using Fkd.Flow.Spec;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;

namespace Fkd.Flow.Tests.Exec;

/// <summary>List inputs (<c>Many</c>), <c>foreach</c> expansion, <c>family-*</c> references and <c>{param}</c> pairing.</summary>
public sealed class ListInputTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly CountingStage _toy = new("toy");
    private readonly ListStage _join = new();
    private readonly StageRegistry _registry;

    public ListInputTests()
    {
        _registry = new StageRegistry([_toy, _join]);
        File.WriteAllText(_dir.File("data.txt"), "D");
        File.WriteAllText(_dir.File("more.txt"), "M");
    }

    public void Dispose() => _dir.Dispose();

    private LanguageExt.Validation<SpecError, PipelineSpec> Load(string stagesJson, params string[] sets)
    {
        var file = _dir.File("p.json");
        File.WriteAllText(file, "{\"stages\": {" + stagesJson + "}}");
        return PipelineLoader.Load(file, sets, _registry, _dir.Path);
    }

    private PipelineSpec Spec(string stagesJson, params string[] sets)
    {
        var r = Load(stagesJson, sets);
        Assert.True(r.IsSuccess, string.Join("\n", r.FailToSeq()));
        return r.SuccessToSeq().Head();
    }

    private const string A = "\"a\": {\"kind\": \"toy\", \"params\": {\"label\": \"A\"}}";
    private const string Fam = "\"f\": {\"kind\": \"toy\", \"foreach\": {\"n\": [2, 0, 1]}, \"params\": {\"label\": \"F\"}}";

    [Theory]
    [InlineData(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"a/out.txt\", \"ghost/out.txt\"]}}", "$.stages.j.inputs.items[1]: file not found: ghost/out.txt")]
    [InlineData(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"a/out.txt\", \"a\"]}}", "$.stages.j.inputs.items[1]: expects one file")]
    [InlineData(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"a/out.txt\", 3]}}", "$.stages.j.inputs.items[1]: expected a stage name")]
    [InlineData(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"a/out.txt\", \"a/nope.txt\"]}}", "$.stages.j.inputs.items[1]: stage 'a' (toy) writes no file 'nope.txt'")]
    [InlineData(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": []}}", "$.stages.j.inputs.items: an empty list")]
    [InlineData(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": {\"x\": 1}}}", "$.stages.j.inputs.items: expected an array")]
    [InlineData(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"a/out.txt\"], \"ups\": [\"a/out.txt\"]}}", "$.stages.j.inputs.ups[0]: expects the whole output of a stage")]
    [InlineData(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"a/out.txt\", \"nope-*/out.txt\"]}}", "$.stages.j.inputs.items[1]: 'nope-*/out.txt': 'nope' is no foreach stage")]
    [InlineData(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"a-{n}/out.txt\"]}}", "$.stages.j.inputs.items[0]: 'a-{n}/out.txt': '{name}' is replaced only inside")]
    [InlineData(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"j/out.txt\"]}}", "$.stages.j.inputs.items[0]: a stage cannot read its own output")]
    [InlineData(A + ", \"b\": {\"kind\": \"toy\", \"params\": {\"label\": \"B\"}, \"inputs\": {\"file\": [\"data.txt\"]}}", "$.stages.b.inputs.file: takes one reference, not a list")]
    [InlineData(Fam + ", \"b\": {\"kind\": \"toy\", \"params\": {\"label\": \"B\"}, \"inputs\": {\"up\": \"f-*\"}}", "$.stages.b.inputs.up: 'f-*': a '*' reference needs a list input")]
    [InlineData("\"f\": {\"kind\": \"toy\", \"foreach\": {\"n\": []}, \"params\": {\"label\": \"F\"}}", "$.stages.f.foreach.n: an empty list")]
    [InlineData("\"f\": {\"kind\": \"toy\", \"foreach\": {\"n\": [1], \"m\": [2]}, \"params\": {\"label\": \"F\"}}", "$.stages.f.foreach: expected an object with one parameter name")]
    [InlineData("\"f\": {\"kind\": \"toy\", \"foreach\": {\"n\": [1, 1]}, \"params\": {\"label\": \"F\"}}", "$.stages.f.foreach.n[1]: value 1 appears twice")]
    [InlineData("\"f\": {\"kind\": \"toy\", \"foreach\": {\"n\": [1.5]}, \"params\": {\"label\": \"F\"}}", "$.stages.f.foreach.n[0]: expected an integer or a string")]
    [InlineData("\"f-1\": {\"kind\": \"toy\", \"params\": {\"label\": \"X\"}}, \"f\": {\"kind\": \"toy\", \"foreach\": {\"n\": [1]}, \"params\": {\"label\": \"F\"}}", "$.stages.f.foreach: expansion 'f-1' clashes")]
    [InlineData(Fam + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"f-*/out.txt\"], \"ups\": [\"j\"]}}", "$.stages.j.inputs.ups[0]: a stage cannot read its own output")]
    public void List_and_foreach_errors_carry_their_json_path(string stages, string expected)
    {
        var r = Load(stages);
        Assert.True(r.IsFail, "expected a validation error");
        var errors = r.FailToSeq().Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.Contains(expected));
    }

    [Fact]
    public void An_empty_optional_list_and_a_single_string_are_accepted()
    {
        var p = Spec(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": \"a/out.txt\", \"ups\": []}}");
        var j = p.Stages.Single(s => s.Name == "j");
        Assert.Equal(new ListRef([new StageRef("a", "out.txt")]), j.Inputs["items"]);
        Assert.False(j.Inputs.ContainsKey("ups"));
    }

    [Fact]
    public void Foreach_expands_in_place_with_names_params_and_pairing()
    {
        var p = Spec(A + ", " + Fam + """
            , "g": {"kind": "toy", "foreach": {"fold": [2, 0, 1]}, "params": {"label": "g{fold}", "n": "{fold}"}, "inputs": {"up": "f-{fold}"}}
            , "j": {"kind": "join", "inputs": {"items": ["a/out.txt", "g-*/out.txt", "data.txt"]}}
            """);
        Assert.Equal(["a", "f-2", "f-0", "f-1", "g-2", "g-0", "g-1", "j"], p.Stages.Select(s => s.Name));
        Assert.Equal([2L, 0, 1], p.Stages.Where(s => s.Name.StartsWith("f-")).Select(s => s.Params["n"]!.GetValue<long>()));
        var g0 = p.Stages.Single(s => s.Name == "g-0");
        Assert.Equal(0L, g0.Params["n"]!.GetValue<long>());
        Assert.Equal("g0", g0.Params["label"]!.GetValue<string>());
        Assert.Equal(new StageRef("f-0", null), g0.Inputs["up"]);
        var items = ((ListRef)p.Stages.Single(s => s.Name == "j").Inputs["items"]).Items;
        Assert.Equal(["a/out.txt", "g-2/out.txt", "g-0/out.txt", "g-1/out.txt", "data.txt"], items.Select(i => i.ToString()));
        Assert.IsType<FileRef>(items[^1]);
        var order = Graph.TopologicalOrder(p.Stages).Select(s => s.Name).ToList();
        Assert.True(order.IndexOf("f-0") < order.IndexOf("g-0") && order.IndexOf("g-1") < order.IndexOf("j"));
        Assert.Equal(["a", "g-0", "g-1", "g-2"], Graph.Upstream(p.Stages.Single(s => s.Name == "j")).Order());
    }

    [Fact]
    public void A_cycle_through_a_list_element_is_found()
    {
        var r = Load("""
            "a": {"kind": "toy", "params": {"label": "A"}, "inputs": {"up": "j"}},
            "j": {"kind": "join", "inputs": {"items": ["data.txt", "a/out.txt"]}}
            """);
        Assert.Contains(r.FailToSeq(), e => e.ToString().Contains("cycle"));
    }

    [Fact]
    public void Set_takes_a_json_array_for_a_list_input()
    {
        var p = Spec(A + ", " + Fam + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": \"a/out.txt\"}}",
            "j.items=[\"f-*/out.txt\", \"a/out.txt\", \"more.txt\"]", "f.label=G");
        var items = ((ListRef)p.Stages.Single(s => s.Name == "j").Inputs["items"]).Items;
        Assert.Equal(["f-2/out.txt", "f-0/out.txt", "f-1/out.txt", "a/out.txt"], items.Take(4).Select(i => i.ToString()));
        Assert.Equal(_dir.File("more.txt"), Assert.IsType<FileRef>(items[4]).FullPath);
        Assert.All(p.Stages.Where(s => s.Name.StartsWith("f-")), s => Assert.Equal("G", s.Params["label"]!.GetValue<string>()));
        var single = Spec(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": \"a/out.txt\"}}", "j.items=more.txt");
        Assert.IsType<FileRef>(((ListRef)single.Stages.Single(s => s.Name == "j").Inputs["items"]).Items.Single());
    }

    private Plan MakePlan(PipelineSpec spec, ArtifactStore store) =>
        Plan.Make(spec, _registry, store, FileHashCache.Load(_dir.File("store/file-hashes.json")), new HashSet<string>()).SuccessToSeq().Head();

    [Theory]
    [InlineData("[\"a/out.txt\", \"data.txt\"]", "[\"data.txt\", \"a/out.txt\"]", false)]
    [InlineData("[\"a/out.txt\", \"data.txt\"]", "[\"a/out.txt\", \"data.txt\"]", true)]
    [InlineData("[\"a/out.txt\"]", "\"a/out.txt\"", true)]
    [InlineData("[\"a/out.txt\"]", "[\"a/out.txt\", \"a/out.txt\"]", false)]
    [InlineData("[\"data.txt\", \"more.txt\"]", "[\"more.txt\", \"data.txt\"]", false)]
    public void The_key_encodes_the_ordered_list(string first, string second, bool same)
    {
        var store = new ArtifactStore(_dir.File("store"));
        string KeyOf(string items) => MakePlan(Spec(A + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": " + items + "}}"), store)["j"].Key;
        Assert.Equal(same, KeyOf(first) == KeyOf(second));
    }

    [Fact]
    public void List_key_encoding_is_unambiguous()
    {
        Assert.NotEqual(Fkd.Flow.Keys.KeyMaterial.ListKey(["ab", "c"]), Fkd.Flow.Keys.KeyMaterial.ListKey(["a", "bc"]));
        Assert.NotEqual(Fkd.Flow.Keys.KeyMaterial.ListKey(["a:1", "b"]), Fkd.Flow.Keys.KeyMaterial.ListKey(["a", "1:b"]));
        Assert.Equal("list:2:2:ab1:c", Fkd.Flow.Keys.KeyMaterial.ListKey(["ab", "c"]));
    }

    private static string Statuses(RunResult r, string prefix) =>
        string.Join(",", r.Stages.Where(s => s.Name.StartsWith(prefix)).Select(s => $"{s.Name}={s.Status.ToString().ToLowerInvariant()}"));

    [Fact]
    public async Task Adding_a_foreach_family_to_a_list_computes_only_that_family_and_the_consumer()
    {
        var store = new ArtifactStore(_dir.File("store"));
        async Task<(RunResult Run, string Text)> Run(string stages)
        {
            var hashes = FileHashCache.Load(_dir.File("store/file-hashes.json"));
            var plan = Plan.Make(Spec(stages), _registry, store, hashes, new HashSet<string>()).SuccessToSeq().Head();
            var r = await new Executor(store, hashes, Serilog.Core.Logger.None, NullObserver.Instance, TimeProvider.System).RunAsync(plan, 2, CancellationToken.None);
            Assert.True(r.Ok, r.Error);
            return (r, File.ReadAllText(Path.Combine(store.EntryPath(plan["j"].Key), "out.txt")));
        }
        const string m1 = "\"m1\": {\"kind\": \"toy\", \"foreach\": {\"n\": [0, 1]}, \"params\": {\"label\": \"m1\"}, \"inputs\": {\"file\": \"data.txt\"}}";
        const string m2 = "\"m2\": {\"kind\": \"toy\", \"foreach\": {\"n\": [0, 1]}, \"params\": {\"label\": \"m2\"}, \"inputs\": {\"file\": \"data.txt\"}}";

        var (first, text1) = await Run(m1 + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"m1-*/out.txt\"]}}");
        Assert.Equal("m1-0=computed,m1-1=computed", Statuses(first, "m"));
        Assert.Equal("m1-0:m1:0|D;m1-1:m1:1|D", text1);

        var (second, text2) = await Run(m1 + ", " + m2 + ", \"j\": {\"kind\": \"join\", \"inputs\": {\"items\": [\"m1-*/out.txt\", \"m2-*/out.txt\"]}}");
        Assert.Equal("m1-0=cached,m1-1=cached,m2-0=computed,m2-1=computed", Statuses(second, "m"));
        Assert.Equal("j=computed", Statuses(second, "j"));
        Assert.Equal("m1-0:m1:0|D;m1-1:m1:1|D;m2-0:m2:0|D;m2-1:m2:1|D", text2);
        Assert.Equal((4, 2), (_toy.Runs, _join.Runs));
    }
}
