using System.Text.Json.Nodes;
using Fkd.Flow.Spec;
using Fkd.Tests;

namespace Fkd.Cli.Tests.Commands;

/// <summary>Every pipeline the repository ships loads and validates against the stage kinds this build has.</summary>
public sealed class PipelineFilesTests
{
    public static TheoryData<string> Files() =>
        [.. Directory.EnumerateFiles(RepoPaths.InRepo("pipelines"), "*.json").Select(f => Path.GetFileName(f)).Order()];

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

    private static JsonObject Stages(string file) =>
        JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("pipelines", file)))!["stages"]!.AsObject();

    private static string Kind(JsonNode stage) => stage["kind"]!.GetValue<string>();

    /// <summary>A stage as it computes: its description is for readers and takes no part in its key.</summary>
    private static JsonNode? Computed(JsonNode? stage)
    {
        var copy = stage?.DeepClone();
        copy?.AsObject().Remove("description");
        return copy;
    }

    private static bool SameStage(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(Computed(a), Computed(b));

    /// <summary>
    /// accuracy-pair.json compares models on accuracy.json's recipe, copied (a pipeline file includes none): the data
    /// stages must stay the same, and each train stage the same but for its model, or the comparison says nothing
    /// about the model accuracy.json picks.
    /// </summary>
    [Fact]
    public void The_pair_pipeline_is_the_accuracy_recipe_with_two_models()
    {
        var one = Stages("accuracy.json");
        var pair = Stages("accuracy-pair.json");
        foreach (var stage in new[] { "faces", "train_rows", "dedup", "labelfix", "split", "augment" })
            Assert.True(SameStage(one[stage], pair[stage]), $"stage {stage} differs from accuracy.json's");
        var trains = pair.Where(s => Kind(s.Value!) == "train").ToArray();
        Assert.Equal(["train_medium", "train_resnet"], trains.Select(t => t.Key).Order().ToArray());
        Assert.Contains(trains, t => t.Value!["params"]!["model"]!.GetValue<string>() == one["train"]!["params"]!["model"]!.GetValue<string>());
        foreach (var (name, train) in trains)
        {
            var expected = one["train"]!.DeepClone();
            expected["params"]!["model"] = train!["params"]!["model"]!.DeepClone();
            Assert.True(SameStage(expected, train), $"{name} differs from accuracy.json's train stage but for its model");
        }
        // Each model, and their mean, is predicted as accuracy.json predicts its validation split (test-time augmentation).
        foreach (var (name, predict) in pair.Where(s => Kind(s.Value!) == "predict"))
            Assert.True(JsonNode.DeepEquals(one["predict_val"]!["params"], predict!["params"]), $"{name} predicts otherwise than accuracy.json's predict_val");
    }

    /// <summary>
    /// accuracy.json's holdout model, train_all, is its validated recipe trained again on every face: augment_all and
    /// train_all must be augment and train but for their inputs (all of labelfix's faces; no validation set), or the
    /// holdout would score a recipe validation never saw.
    /// </summary>
    [Fact]
    public void The_accuracy_model_for_the_holdout_is_the_validated_recipe_on_every_face()
    {
        var one = Stages("accuracy.json");
        var augment = one["augment"]!.DeepClone();
        augment["inputs"] = new JsonObject { ["faces"] = "labelfix/faces.parquet" };
        Assert.True(SameStage(augment, one["augment_all"]), "augment_all is not augment on labelfix's faces");
        var train = one["train"]!.DeepClone();
        train["inputs"] = new JsonObject { ["train"] = "augment_all/faces.parquet" };
        Assert.True(SameStage(train, one["train_all"]), "train_all is not train on augment_all's faces without validation");
    }

    /// <summary>
    /// In the real-face stacking pipelines validation picks the predictor and the holdout scores it once, so each
    /// predictor's holdout twin must be the same predictor: X_holdout has X_val's params, out-of-fold inputs and truth,
    /// and predicts from the same models, on holdout_rows instead of the validation split. A twin edited on one side
    /// only would score on the holdout something validation never chose.
    /// </summary>
    [Theory]
    [InlineData("stack-real.json")]
    [InlineData("stack-2nd-place.json")]
    public void Each_validated_predictor_has_the_same_predictor_on_the_holdout(string file)
    {
        var stages = Stages(file);
        var twins = 0;
        foreach (var (name, stage) in stages)
        {
            var kind = Kind(stage!);
            string? twin = kind switch
            {
                "stack" or "stack-apply" when name.EndsWith("_val") => name[..^"_val".Length] + "_holdout",
                "predict" when name.StartsWith("val_") => "holdout_" + name["val_".Length..],
                _ => null,
            };
            if (twin is null) continue;
            Assert.True(stages.ContainsKey(twin), $"{file}: {name} has no holdout twin {twin}");
            var expected = stage!.DeepClone();
            if (kind is "stack" or "stack-apply")
            {
                var predict = expected["inputs"]!["predict"]!.AsArray();
                for (var i = 0; i < predict.Count; i++)
                    predict[i] = "holdout_" + predict[i]!.GetValue<string>()["val_".Length..];
            }
            else expected["inputs"]!["faces"] = "holdout_rows/faces.parquet";
            Assert.True(SameStage(expected, stages[twin]), $"{file}: {twin} is not {name} on the holdout");
            twins++;
        }
        Assert.True(twins >= 4, $"{file}: only {twins} validated predictors found");
    }

    /// <summary>
    /// stack-real.json stacks models trained on accuracy.json's recipe (copied: a pipeline file includes none), so that
    /// its stacks and its fold means compare with the single best model: the same data stages, the same split plus
    /// folds, and each train stage accuracy.json's but for its model or seed and what training per fold needs (one per
    /// fold, the fold held out, one thread each so that two run at once).
    /// </summary>
    [Fact]
    public void The_real_face_stack_trains_on_the_accuracy_recipe()
    {
        var one = Stages("accuracy.json");
        var stack = Stages("stack-real.json");
        foreach (var stage in new[] { "faces", "train_rows", "dedup", "labelfix", "augment" })
            Assert.True(SameStage(one[stage], stack[stage]), $"stage {stage} differs from accuracy.json's");
        var split = one["split"]!.DeepClone();
        split["params"]!["folds"] = stack["split"]!["params"]!["folds"]!.DeepClone();
        Assert.True(SameStage(split, stack["split"]), "split differs from accuracy.json's but for its folds");
        var trains = stack.Where(s => Kind(s.Value!) == "train").ToArray();
        Assert.True(trains.Length >= 2, $"{trains.Length} base model(s): a stack needs two or more");
        // Two base models may share an architecture when their seeds differ (their own weights and shuffle).
        Assert.Equal(trains.Length, trains.Select(t => (Model: t.Value!["params"]!["model"]!.GetValue<string>(),
            Seed: t.Value!["params"]!["seed"]?.GetValue<int>())).Distinct().Count());
        foreach (var (name, train) in trains)
        {
            var expected = one["train"]!.DeepClone();
            foreach (var own in new[] { "model", "threads", "holdout_fold" })
                expected["params"]![own] = train!["params"]![own]!.DeepClone();
            if (train!["params"]!["seed"] is { } seed) expected["params"]!["seed"] = seed.DeepClone();
            else expected["params"]!.AsObject().Remove("seed");
            expected["foreach"] = train!["foreach"]!.DeepClone();
            Assert.True(SameStage(expected, train), $"{name} differs from accuracy.json's train stage but for its model, seed, threads and fold");
        }
        // And predicts as accuracy.json does (its test-time augmentation), with what predicting per fold needs.
        foreach (var (name, predict) in stack.Where(s => Kind(s.Value!) == "predict"))
        {
            var expected = one["predict_val"]!["params"]!.DeepClone().AsObject();
            foreach (var own in new[] { "threads", "only_fold" })
                if (predict!["params"]![own] is { } v) expected[own] = v.DeepClone();
            Assert.True(JsonNode.DeepEquals(expected, predict!["params"]), $"{name} predicts otherwise than accuracy.json's predict_val");
        }
    }
}
