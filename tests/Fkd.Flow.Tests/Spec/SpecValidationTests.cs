using Fkd.Flow.Spec;
using Fkd.Flow.Stages;

namespace Fkd.Flow.Tests.Spec;

public class SpecValidationTests
{
    private static readonly StageRegistry Registry = new([new CountingStage("toy")]);

    private static List<string> Errors(string json, params string[] sets)
    {
        using var dir = new TempDir();
        var file = dir.File("p.json");
        File.WriteAllText(file, json);
        File.WriteAllText(dir.File("data.txt"), "x");
        var r = PipelineLoader.Load(file, sets, Registry, dir.Path);
        return r.IsFail ? r.FailToSeq().Select(e => e.ToString()).ToList() : [];
    }

    [Fact]
    public void A_valid_spec_has_no_errors() =>
        Assert.Empty(Errors("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"}, "inputs": {"file": "data.txt"}}, "b": {"kind": "toy", "params": {"label": "y"}, "inputs": {"up": "a"}}}}"""));

    [Theory]
    [InlineData("""{"stages": {"a": {"kind": "nope"}}}""", "$.stages.a.kind: unknown stage kind \"nope\"")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x", "bogus": 1}}}}""", "$.stages.a.params.bogus: unknown parameter")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x", "wieghts": [1]}}}}""", "$.stages.a.params.wieghts: unknown parameter for kind \"toy\" (did you mean \"weights\"?)")]
    [InlineData("""{"stages": {"a": {"kind": "toi", "params": {"label": "x"}}}}""", "$.stages.a.kind: unknown stage kind \"toi\" (did you mean \"toy\"?)")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"}, "inputs": {"fiel": "data.txt"}}}}""", "$.stages.a.inputs.fiel: unknown input for kind \"toy\" (did you mean \"file\"?)")]
    [InlineData("""{"stages": {"a": {"kind": "toy"}}}""", "$.stages.a.params.label: missing required parameter")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x", "n": "three"}}}}""", "$.stages.a.params.n: expected an integer, found \"three\"")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x", "n": 1.5}}}}""", "$.stages.a.params.n: expected an integer, found 1.5")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x", "n": -1}}}}""", "$.stages.a.params.n: expected an integer >= 0, found -1")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x", "mode": "c"}}}}""", "$.stages.a.params.mode: expected one of \"a\", \"b\", found \"c\"")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x", "weights": [1, "z"]}}}}""", "$.stages.a.params.weights: item 1: expected a number")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"}, "inputs": {"up": "ghost"}}}}""", "$.stages.a.inputs.up: expects the output of a stage; 'ghost' names no stage")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"}, "inputs": {"file": "missing.csv"}}}}""", "$.stages.a.inputs.file: file not found: missing.csv")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"}, "inputs": {"what": "a"}}}}""", "$.stages.a.inputs.what: unknown input")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"}, "inputs": {"file": "b/nothing.txt"}}, "b": {"kind": "toy", "params": {"label": "y"}}}}""", "$.stages.a.inputs.file: stage 'b' (toy) writes no file 'nothing.txt'")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"}, "inputs": {"up": "b"}}, "b": {"kind": "toy", "params": {"label": "y"}, "inputs": {"up": "a"}}}}""", "cycle: ")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"}, "colour": 1}}}""", "$.stages.a.colour: unknown field")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"},}""", "invalid JSON")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x", "mode": "b", "weights": [1]}}}}""", "$.stages.a.params.weights: two weights in mode b, found 1")]
    [InlineData("""{"stages": {"a": {"kind": "toy", "params": {"label": "x", "n": 3000000000}}}}""", "$.stages.a.params.n: expected an integer >= 0 and within 32 bits, found 3000000000")]
    public void Each_error_class_is_reported_with_its_path(string json, string expected)
    {
        var errors = Errors(json);
        Assert.Contains(errors, e => e.Contains(expected));
    }

    [Theory]
    [InlineData("epoch", "epochs")]
    [InlineData("eopchs", "epochs")]
    [InlineData("Epochs", "epochs")]
    [InlineData("learningrate", "learning_rate")]
    [InlineData("colour", null)]
    [InlineData("x", null)]
    public void A_misspelt_name_gets_the_nearest_known_one_and_a_stranger_gets_none(string given, string? expected) =>
        Assert.Equal(expected is null ? "" : $" (did you mean \"{expected}\"?)",
            PipelineLoader.DidYouMean(given, ["epochs", "learning_rate", "batch_size", "seed"]));

    [Fact]
    public void All_problems_are_reported_together()
    {
        var errors = Errors("""
        {"stages": {
          "a": {"kind": "nope"},
          "b": {"kind": "toy", "params": {"n": "x", "extra": 1}},
          "c": {"kind": "toy", "params": {"label": "z"}, "inputs": {"up": "d"}},
          "d": {"kind": "toy", "params": {"label": "z"}, "inputs": {"up": "c"}}
        }}
        """);
        Assert.Contains(errors, e => e.StartsWith("$.stages.a.kind"));
        Assert.Contains(errors, e => e.StartsWith("$.stages.b.params.n"));
        Assert.Contains(errors, e => e.StartsWith("$.stages.b.params.extra"));
        Assert.Contains(errors, e => e.StartsWith("$.stages.b.params.label"));
        Assert.Contains(errors, e => e.Contains("cycle"));
        Assert.Equal(5, errors.Count);
    }

    [Fact]
    public void Rules_across_parameters_run_with_the_rest_and_only_on_well_typed_values()
    {
        // b's rule fails and c has a type error; both are reported, and c's rule is not run on a half-checked record.
        var errors = Errors("""
        {"stages": {
          "b": {"kind": "toy", "params": {"label": "y", "mode": "b", "weights": [1, 2, 3]}},
          "c": {"kind": "toy", "params": {"label": "z", "mode": "b", "weights": "many"}}
        }}
        """);
        Assert.Equal(["$.stages.b.params.weights: two weights in mode b, found 3", "$.stages.c.params.weights: expected an array of numbers, found \"many\""], errors);
        Assert.Empty(Errors("""{"stages": {"b": {"kind": "toy", "params": {"label": "y", "mode": "b", "weights": [1, 2]}}}}"""));
        // --set reaches the same rule.
        Assert.Contains("$.stages.a.params.weights: two weights in mode b, found 3",
            Errors("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"}}}}""", "a.mode=b", "a.weights=[1,2,3]"));
    }

    [Fact]
    public void Set_overrides_parameters_and_inputs()
    {
        using var dir = new TempDir();
        var file = dir.File("p.json");
        File.WriteAllText(file, """{"stages": {"a": {"kind": "toy", "params": {"label": "x"}}, "b": {"kind": "toy", "params": {"label": "y"}}}}""");
        File.WriteAllText(dir.File("data.txt"), "x");
        var r = PipelineLoader.Load(file, ["a.n=7", "a.mode=b", "b.up=a", "a.file=data.txt", "b.weights=[3,4.5]"], Registry, dir.Path);
        Assert.True(r.IsSuccess, string.Join("\n", r.FailToSeq()));
        var p = r.SuccessToSeq().Head();
        var a = p.Stages[0];
        Assert.Equal(7, a.Params["n"]!.GetValue<long>());
        Assert.Equal("b", a.Params["mode"]!.GetValue<string>());
        Assert.IsType<FileRef>(a.Inputs["file"]);
        Assert.Equal(new StageRef("a", null), p.Stages[1].Inputs["up"]);
        Assert.Equal("[3,4.5]", p.Stages[1].Params["weights"]!.ToJsonString());
    }

    [Theory]
    [InlineData("a.n", "--set a.n: expected stage.param=value")]
    [InlineData("zz.n=1", "--set zz.n=1: no stage named 'zz'")]
    [InlineData("a.n=abc", "$.stages.a.params.n: expected an integer, found \"abc\"")]
    public void Bad_overrides_are_errors(string set, string expected) =>
        Assert.Contains(Errors("""{"stages": {"a": {"kind": "toy", "params": {"label": "x"}}}}""", set), e => e.Contains(expected));
}
