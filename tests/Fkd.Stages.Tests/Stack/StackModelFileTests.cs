using Fkd.Stages.Faces;
using Fkd.Stages.Stack;

namespace Fkd.Stages.Tests.Stack;

public sealed class StackModelFileTests
{
    /// <summary>A stack fitted on random rows: model 0 full, model 1 a four-keypoint one (8 coordinates), one coordinate never labelled.</summary>
    private static (StackModel Model, List<IReadOnlyList<float[]>> Rows) Fitted(StackFeatureSet features, double l1Ratio)
    {
        var r = new Random(3);
        float[] Full() => [.. Enumerable.Range(0, 30).Select(_ => (float)(20 + 56 * r.NextDouble()))];
        float[] Four() { var f = Full(); for (var c = 0; c < 30; c++) if (!Keypoints.FourKeypointSubset.Contains(c / 2)) f[c] = float.NaN; return f; }
        var oof = Enumerable.Range(0, 80).Select(_ => (IReadOnlyList<float[]>)[Full(), Four()]).ToList();
        var truth = oof.Select(o => { var t = o[0].Select(v => v + (float)r.NextDouble()).ToArray(); t[29] = float.NaN; return t; }).ToList();
        return (StackModel.Fit(oof, truth, features, alpha: 3, l1Ratio), [.. Enumerable.Range(0, 10).Select(_ => (IReadOnlyList<float[]>)[Full(), Four()])]);
    }

    [Theory]
    [InlineData(StackFeatureSet.Linear, 0)]
    [InlineData(StackFeatureSet.Pairwise, 0)]
    [InlineData(StackFeatureSet.Pairwise, 0.5)]
    public void A_stack_read_back_predicts_bit_for_bit_what_the_fitted_one_does(StackFeatureSet features, double l1Ratio)
    {
        var (model, rows) = Fitted(features, l1Ratio);
        Assert.Null(model.Fits[29]);
        var json = StackModelFile.ToJson(model);
        var back = StackModelFile.FromJson(json, "stack.json");
        Assert.Equal(model.Layout.Features, back.Layout.Features);
        Assert.Equal(model.Layout.Coords.Select(c => c.ToArray()), back.Layout.Coords.Select(c => c.ToArray()));
        foreach (var row in rows) Assert.Equal(model.Predict(row), back.Predict(row));
        Assert.Equal(json, StackModelFile.ToJson(back));
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "{", "not a stack file (line" },
        { """{"format": 2, "features": "linear", "coords": [[0]], "fill": [0], "fits": []}""", "format 2, this build reads 1" },
        { """{"format": 1, "features": "linear", "coords": [], "fill": [], "fits": []}""", "no models" },
        { """{"format": 1, "features": "linear", "coords": [[3, 1]], "fill": [0, 0], "fits": []}""", "distinct ascending" },
        { """{"format": 1, "features": "linear", "coords": [[30]], "fill": [0], "fits": []}""", "distinct ascending" },
        { """{"format": 1, "features": "linear", "coords": [[0, 1]], "fill": [0], "fits": []}""", "'fill' has 1 values for 2 features" },
        { """{"format": 1, "features": "linear", "coords": [[0]], "fill": [0], "fits": [null]}""", "'fits' has 1 entries" },
        { """{"format": 1, "features": "cubic", "coords": [[0]], "fill": [0], "fits": []}""", "not a stack file" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_file_is_an_error_naming_it_and_what_is_wrong(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => StackModelFile.FromJson(json, "run/stack.json"));
        Assert.StartsWith("run/stack.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_fit_of_the_wrong_width_or_with_a_non_positive_scale_is_an_error()
    {
        var (model, _) = Fitted(StackFeatureSet.Linear, 0);
        var node = System.Text.Json.Nodes.JsonNode.Parse(StackModelFile.ToJson(model))!;
        node["fits"]![0]!["weights"]!.AsArray().RemoveAt(0);
        Assert.Contains("fits[0] must hold 38 means, scales and weights",
            Assert.Throws<InvalidDataException>(() => StackModelFile.FromJson(node.ToJsonString(), "s")).Message);
        node = System.Text.Json.Nodes.JsonNode.Parse(StackModelFile.ToJson(model))!;
        node["fits"]![3]!["scale"]![0] = 0.0;
        Assert.Contains("fits[3] has a scale that is not positive",
            Assert.Throws<InvalidDataException>(() => StackModelFile.FromJson(node.ToJsonString(), "s")).Message);
    }
}
