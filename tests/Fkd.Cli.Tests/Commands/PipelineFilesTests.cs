using System.Text.Json.Nodes;
using Fkd.Flow.Spec;
using Fkd.Tests;

namespace Fkd.Cli.Tests.Commands;

/// <summary>Every pipeline the repository ships loads and validates against the stage kinds this build has.</summary>
public sealed class PipelineFilesTests
{
    public static TheoryData<string> Files() =>
        [.. Directory.EnumerateFiles(RepoPaths.InRepo("pipelines"), "*.json").Select(Path.GetFileName).Order()!];

    [Theory]
    [MemberData(nameof(Files))]
    public void A_shipped_pipeline_validates(string file)
    {
        var path = RepoPaths.InRepo("pipelines", file);
        // The real-data pipelines name the holdout file the user passes with --set (README); any file stands in.
        var stand = Path.GetTempFileName();
        try
        {
            string[] sets = File.ReadAllText(path).Contains("\"holdout_rows\"") ? [$"holdout_rows.csv={stand}"] : [];
            var spec = PipelineLoader.Load(path, sets, StageKinds.Create());
            Assert.True(spec.IsSuccess, string.Join("\n", spec.FailToSeq().Select(e => e.ToString())));
        }
        finally { File.Delete(stand); }
    }

    /// <summary>
    /// accuracy-pair.json compares models on accuracy.json's recipe, copied (a pipeline file includes none): the data
    /// stages must stay the same, and each train stage the same but for its model, or the comparison says nothing
    /// about the model accuracy.json picks.
    /// </summary>
    [Fact]
    public void The_pair_pipeline_is_the_accuracy_recipe_with_two_models()
    {
        var one = JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("pipelines", "accuracy.json")))!["stages"]!.AsObject();
        var pair = JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("pipelines", "accuracy-pair.json")))!["stages"]!.AsObject();
        foreach (var stage in new[] { "faces", "train_rows", "dedup", "labelfix", "split", "augment" })
            Assert.True(JsonNode.DeepEquals(one[stage], pair[stage]), $"stage {stage} differs from accuracy.json's");
        var trains = pair.Where(s => s.Value!["kind"]!.GetValue<string>() == "train").ToArray();
        Assert.Equal(["train_medium", "train_small"], trains.Select(t => t.Key).Order().ToArray());
        Assert.Contains(trains, t => t.Value!["params"]!["model"]!.GetValue<string>() == one["train"]!["params"]!["model"]!.GetValue<string>());
        foreach (var (name, train) in trains)
        {
            var expected = one["train"]!.DeepClone();
            expected["params"]!["model"] = train!["params"]!["model"]!.DeepClone();
            Assert.True(JsonNode.DeepEquals(expected, train), $"{name} differs from accuracy.json's train stage but for its model");
        }
    }
}
