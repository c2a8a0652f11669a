using System.Collections.Immutable;
using Fkd.Stages.Faces;
using Fkd.Stages.Predict;
using Fkd.Stages.Stack;
using Fkd.Stages.Train;

namespace Fkd.Stages.Tests.Stack;

public sealed class StackTests
{
    private static double Gauss(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    [Fact]
    public void Ridge_recovers_known_coefficients()
    {
        var r = new Random(3);
        double[] beta = [1.5, -3, 0.5, 0];
        var x = Enumerable.Range(0, 400).Select(_ => new[] { r.NextDouble() * 10, r.NextDouble() * 2 - 1, 40 + Gauss(r), Gauss(r) }).ToList();
        var y = x.Select(row => 2 + row.Zip(beta, (a, b) => a * b).Sum() + 0.01 * Gauss(r)).ToList();
        var fit = Ridge.Fit(x, y, alpha: 1e-6);
        var (b, b0) = fit.InOriginalUnits();
        for (var j = 0; j < beta.Length; j++) Assert.Equal(beta[j], b[j], 2);
        Assert.Equal(2, b0, 1);
        Assert.Equal(2 + 1.5 * 4 - 3 * 0.5 + 0.5 * 40, fit.Predict([4, 0.5, 40, 0]), 1);
    }

    [Fact]
    public void A_large_alpha_shrinks_towards_the_mean_and_a_constant_feature_gets_no_weight()
    {
        var r = new Random(5);
        var x = Enumerable.Range(0, 100).Select(_ => new[] { r.NextDouble(), 7.0 }).ToList();
        var y = x.Select(row => 3 * row[0]).ToList();
        var small = Ridge.Fit(x, y, 1e-3);
        var huge = Ridge.Fit(x, y, 1e9);
        Assert.True(Math.Abs(huge.Weights[0]) < 1e-4 * Math.Abs(small.Weights[0]));
        Assert.Equal(y.Average(), huge.Predict([0.9, 7]), 3);
        Assert.Equal(0, small.Weights[1]);
    }

    [Fact]
    public void Columns_labelled_on_different_rows_are_fitted_on_their_own_rows()
    {
        var x = Enumerable.Range(0, 50).Select(i => new[] { (double)i }).ToList();
        var a = x.Select(v => 2 * v[0] + 1).ToArray();
        var b = x.Select((v, i) => i % 2 == 0 ? double.NaN : -v[0]).ToArray();
        var none = x.Select(_ => double.NaN).ToArray();
        var fits = Ridge.FitColumns(x, [a, b, none], 1e-8);
        Assert.Equal(50, fits[0]!.Rows);
        Assert.Equal(25, fits[1]!.Rows);
        Assert.Null(fits[2]);
        Assert.Equal(21, fits[0]!.Predict([10]), 4);
        Assert.Equal(-10, fits[1]!.Predict([10]), 4);
    }

    [Theory]
    [InlineData(1.0, 50.0)]
    [InlineData(0.5, 50.0)]
    [InlineData(0.2, 400.0)]
    public void Elastic_net_on_an_orthogonal_design_is_the_soft_threshold_formula(double l1Ratio, double alpha)
    {
        // Z orthogonal with ZᵀZ = 100·I: each weight is S(zᵀy, αρ) / (100 + α(1 − ρ)) exactly.
        const int p = 4;
        var gram = new double[p * p];
        for (var j = 0; j < p; j++) gram[j * p + j] = 100;
        double[] zty = [300, -40, 10, -500];
        var w = ElasticNet.Solve(gram, p, zty, alpha, l1Ratio);
        for (var j = 0; j < p; j++)
            Assert.Equal(ElasticNet.SoftThreshold(zty[j], alpha * l1Ratio) / (100 + alpha * (1 - l1Ratio)), w[j], 9);
        Assert.Equal(0, ElasticNet.SoftThreshold(-40, 50));
        Assert.Equal(-450, ElasticNet.SoftThreshold(-500, 50));
    }

    [Fact]
    public void Elastic_net_zeroes_noise_features_that_ridge_keeps_and_a_tiny_l1_share_matches_ridge()
    {
        var r = new Random(9);
        var x = Enumerable.Range(0, 300).Select(_ => Enumerable.Range(0, 8).Select(_ => Gauss(r)).ToArray()).ToList();
        var y = x.Select(row => 3 * row[0] - 2 * row[1] + 0.5 * Gauss(r)).ToList();
        var ridge = Ridge.Fit(x, y, alpha: 30);
        var net = Ridge.Fit(x, y, alpha: 30, l1Ratio: 1);
        Assert.All(ridge.Weights, w => Assert.NotEqual(0, w));
        Assert.True(net.Weights.Skip(2).Count(w => w == 0) >= 4, "most of the 6 noise features get exactly 0");
        Assert.Equal(3, net.InOriginalUnits().Coefficients[0], 0); // the two real ones keep their size
        Assert.Equal(-2, net.InOriginalUnits().Coefficients[1], 0);
        var almostRidge = Ridge.Fit(x, y, alpha: 30, l1Ratio: 1e-9);
        for (var j = 0; j < 8; j++) Assert.Equal(ridge.Weights[j], almostRidge.Weights[j], 5);
    }

    [Fact]
    public void A_prepared_problem_solves_many_penalties_and_a_warm_start_lands_where_a_cold_one_does()
    {
        var r = new Random(12);
        var x = Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, 6).Select(_ => Gauss(r)).ToArray()).ToList();
        x.ForEach(row => row[5] = row[4] + 0.1 * Gauss(r)); // two correlated features: coordinate descent needs many sweeps
        double[] y = [.. x.Select(row => row[0] - 2 * row[4] + 0.3 * Gauss(r))];
        var problem = LinearProblem.Prepare(x, [y]);
        foreach (var alpha in new[] { 0.1, 10, 100 })
            Assert.Equal(Ridge.Fit(x, y, alpha).Weights, problem.Solve(alpha)[0]!.Weights);
        var strong = problem.Solve(100, 0.5);
        var cold = problem.Solve(1, 0.5)[0]!;
        var warm = problem.Solve(1, 0.5, strong)[0]!;
        for (var j = 0; j < 6; j++) Assert.Equal(cold.Weights[j], warm.Weights[j], 4);
        Assert.Throws<ArgumentException>(() => ElasticNet.Solve(new double[4], 2, [1, 1], 1, 0.5, start: [0.0]));
    }

    [Fact]
    public void Cholesky_solves_a_small_system()
    {
        double[] a = [4, 2, 2, 3];
        var l = Ridge.Cholesky(a, 2);
        var w = Ridge.Solve(l, 2, [2, 1]);
        Assert.Equal(0.5, w[0], 10);
        Assert.Equal(0, w[1], 10);
    }

    [Theory]
    [InlineData(StackFeatureSet.Linear, 1, 30)]
    [InlineData(StackFeatureSet.Linear, 3, 90)]
    [InlineData(StackFeatureSet.Pairwise, 1, 465)]
    [InlineData(StackFeatureSet.Pairwise, 2, 930)]
    public void Feature_counts_grow_linearly_with_models(StackFeatureSet features, int models, int expected)
    {
        var layout = StackLayout.Full(models, features);
        Assert.Equal(expected, layout.Count);
        Assert.Equal(expected, layout.Names().Length);
        var row = layout.Row([.. Enumerable.Range(0, models).Select(_ => Enumerable.Repeat(72f, 30).ToArray())]);
        Assert.Equal(expected, row.Length);
        Assert.All(row, v => Assert.Equal(features == StackFeatureSet.Pairwise && Array.IndexOf(row, v) % layout.PerModel(0) >= 30 ? 0.25 : 0.5, v, 6));
    }

    /// <summary>Kaggle's four keypoints as a four-target model predicts them: the other 22 coordinates NaN.</summary>
    private static float[] FourOnly(float[] p)
    {
        var q = Enumerable.Repeat(float.NaN, 30).ToArray();
        foreach (var k in Keypoints.FourKeypointSubset) { q[2 * k] = p[2 * k]; q[2 * k + 1] = p[2 * k + 1]; }
        return q;
    }

    [Theory]
    [InlineData(StackFeatureSet.Linear, 30 + 8)]
    [InlineData(StackFeatureSet.Pairwise, 465 + 8 + 28)] // 30C2 for the full model, 8C2 for the four-keypoint one
    public void A_four_keypoint_model_gets_features_for_its_8_coordinates_only(StackFeatureSet features, int expected)
    {
        var r = new Random(5);
        var (truth, models) = Noisy(r, 400);
        IReadOnlyList<IReadOnlyList<float[]>> mixed = [.. models.Select(m => (IReadOnlyList<float[]>)[m[0], FourOnly(m[1])])];
        var layout = StackLayout.Of(mixed, features);
        Assert.Equal([30, 8], layout.Coords.Select(c => c.Length));
        Assert.Equal(expected, layout.Count);
        Assert.Equal(expected, layout.Names().Length);
        Assert.Equal(features == StackFeatureSet.Pairwise, layout.Names().Contains("m1:left_eye_center_x*nose_tip_y"));
        Assert.DoesNotContain(layout.Names(), n => n.StartsWith("m1:") && n.Contains("mouth_left_corner"));

        // The dropped columns were constants (imputed where NaN): the fit predicts what the full layout did.
        var fit = StackModel.Fit(mixed, truth, features, alpha: 1.0);
        var wide = StackModel.Prepared.Of(mixed, truth, StackLayout.Full(2, features)).Solve(1.0);
        foreach (var m in mixed.Take(50))
        {
            var (a, b) = (fit.Predict(m), wide.Predict(m));
            for (var c = 0; c < 30; c++) Assert.Equal(b[c], a[c], 3);
        }
    }

    /// <summary>Truth rows and two models that each see it through independent noise (sd 3 px); some labels missing.</summary>
    private static (List<float[]> Truth, List<IReadOnlyList<float[]>> Models) Noisy(Random r, int n)
    {
        var truth = new List<float[]>();
        var models = new List<IReadOnlyList<float[]>>();
        for (var i = 0; i < n; i++)
        {
            var t = Enumerable.Range(0, 30).Select(_ => (float)(20 + 56 * r.NextDouble())).ToArray();
            models.Add([t.Select(v => v + (float)(3 * Gauss(r))).ToArray(), t.Select(v => v + (float)(3 * Gauss(r))).ToArray()]);
            if (i % 3 == 0) for (var c = 4; c < 30; c++) t[c] = float.NaN;
            truth.Add(t);
        }
        return (truth, models);
    }

    private static double Rmse(IEnumerable<(float[] Pred, float[] Truth)> pairs)
    {
        double s = 0; long n = 0;
        foreach (var (p, t) in pairs)
            for (var c = 0; c < 30; c++)
                if (!float.IsNaN(t[c])) { s += (p[c] - t[c]) * (double)(p[c] - t[c]); n++; }
        return Math.Sqrt(s / n);
    }

    [Theory]
    [InlineData(StackFeatureSet.Linear, 1500)]
    [InlineData(StackFeatureSet.Pairwise, 6000)] // 930 features, all but 60 of them noise here: more rows to fit them
    public void Stacking_two_noisy_copies_of_the_truth_beats_each_copy(StackFeatureSet features, int rows)
    {
        var r = new Random(11);
        var (trainTruth, trainModels) = Noisy(r, rows);
        var (testTruth, testModels) = Noisy(r, 300);
        var stack = StackModel.Fit(trainModels, trainTruth, features, alpha: 1.0);
        var stacked = Rmse(testModels.Select((m, i) => (stack.Predict(m), testTruth[i])));
        var first = Rmse(testModels.Select((m, i) => (m[0], testTruth[i])));
        var second = Rmse(testModels.Select((m, i) => (m[1], testTruth[i])));
        Assert.True(stacked < Math.Min(first, second) * 0.9, $"stack {stacked:F3} vs copies {first:F3}, {second:F3}");
    }

    [Fact]
    public void Cross_validation_prefers_a_strong_penalty_when_features_are_noise_and_a_weak_one_when_they_carry_the_truth()
    {
        var r = new Random(4);
        var (truth, models) = Noisy(r, 200);
        long[] folds = [.. Enumerable.Range(0, 200).Select(i => (long)(i % 5))];
        var (good, scores) = StackModel.ChooseAlpha(models, truth, folds, StackFeatureSet.Linear, [0.01, 1e6]);
        Assert.Equal(0.01, good);
        Assert.Equal([0.01, 1e6], scores.Select(s => s.Alpha));
        var noise = models.Select(_ => (IReadOnlyList<float[]>)[Enumerable.Range(0, 30).Select(_ => (float)(20 + 56 * r.NextDouble())).ToArray()]).ToList();
        var (strong, _) = StackModel.ChooseAlpha(noise, truth, folds, StackFeatureSet.Linear, [0.01, 1e6]);
        Assert.Equal(1e6, strong);
    }

    private static FaceRow Face(long id, long? fold) =>
        new(id, (int)id, $"h{id}", new byte[Keypoints.PixelCount], Fkd.Stages.Faces.Face.MissingCoords(),
            fold is { } f ? FaceRow.NoTags.Add("fold", f) : FaceRow.NoTags);

    [Fact]
    public void Averaging_fold_models_takes_the_mean_of_the_values_present()
    {
        static float[] C(float first, float second) { var c = Enumerable.Repeat(float.NaN, 30).ToArray(); c[0] = first; c[1] = second; return c; }
        ImmutableArray<Prediction> a = [new(1, "h1", C(10, float.NaN)), new(2, "h2", C(20, 4))];
        ImmutableArray<Prediction> b = [new(1, "h1", C(14, 6)), new(2, "h2", C(30, 8))];
        var mean = PredictStage.Average([a, b]);
        Assert.Equal([1L, 2L], mean.Select(p => p.Id));
        Assert.Equal(12, mean[0].Coords[0]);
        Assert.Equal(6, mean[0].Coords[1]); // only one model gave it
        Assert.Equal(25, mean[1].Coords[0]);
        Assert.True(float.IsNaN(mean[1].Coords[2]));
        Assert.True(a == PredictStage.Average([a])); // one model: its own predictions, not a copy
        Assert.Throws<InvalidDataException>(() => PredictStage.Average([a, [b[0]]]));
        Assert.Throws<InvalidDataException>(() => PredictStage.Average([a, [b[1], b[0]]]));
    }

    [Fact]
    public void Holdout_fold_and_only_fold_pick_complementary_rows()
    {
        ImmutableArray<FaceRow> rows = [.. Enumerable.Range(0, 10).Select(i => Face(i, i % 5))];
        Assert.Equal(10, TrainingData.HoldOut(rows, -1).Count);
        Assert.Equal(10, PredictStage.OnlyFold(rows, -1).Count);
        for (var f = 0; f < 5; f++)
        {
            var train = TrainingData.HoldOut(rows, f).Select(r => r.Id).ToHashSet();
            var oof = PredictStage.OnlyFold(rows, f).Select(r => r.Id).ToHashSet();
            Assert.Equal(8, train.Count);
            Assert.Equal([f, f + 5], oof.Order());
            Assert.Empty(train.Intersect(oof));
        }
        Assert.Throws<InvalidDataException>(() => TrainingData.HoldOut([Face(1, null)], 0));
        Assert.Throws<InvalidDataException>(() => PredictStage.OnlyFold(rows, 7));
    }
}

public sealed class StackStageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-stack-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] Coords(Random r) => [.. Enumerable.Range(0, 30).Select(_ => (float)(20 + 56 * r.NextDouble()))];

    private async Task<Fkd.Flow.Stages.ResolvedInput> Preds(string name, IEnumerable<Prediction> rows)
    {
        var path = Path.Combine(_dir, name);
        await PredictionTable.WriteAsync(path, [.. rows], new Dictionary<string, string>());
        return new(name, name, path, IsFile: true);
    }

    private static Fkd.Flow.Stages.StageContext Context(string output, int models, Dictionary<string, Fkd.Flow.Stages.ResolvedInput> inputs,
        Dictionary<string, ImmutableArray<Fkd.Flow.Stages.ResolvedInput>> lists, string meta = "ridge") =>
        new("stack", "k", new SortedDictionary<string, System.Text.Json.Nodes.JsonNode>
            {
                ["models"] = System.Text.Json.Nodes.JsonValue.Create((long)models),
                ["meta"] = System.Text.Json.Nodes.JsonValue.Create(meta),
                ["l1_ratio"] = System.Text.Json.Nodes.JsonValue.Create(0.5),
                ["features"] = System.Text.Json.Nodes.JsonValue.Create("linear"),
                ["alpha"] = System.Text.Json.Nodes.JsonValue.Create(1.0),
                ["alphas"] = new System.Text.Json.Nodes.JsonArray(1.0, 100.0),
            }.ToImmutableSortedDictionary(),
            inputs.ToImmutableDictionary(), output, Serilog.Core.Logger.None, new Progress<Fkd.Flow.Stages.StageProgress>(), Path.Combine(output, ".s"), lists.ToImmutableDictionary());

    [Theory]
    [InlineData("ridge")]
    [InlineData("elastic-net")]
    public async Task The_stage_groups_oof_files_by_model_and_writes_predictions_and_weights(string meta)
    {
        var r = new Random(2);
        var truthRows = Enumerable.Range(0, 300).Select(i => new FaceRow(i, i, $"h{i}", new byte[Keypoints.PixelCount], Coords(r), FaceRow.NoTags.Add("fold", i % 2))).ToList();
        var truthPath = Path.Combine(_dir, "truth.parquet");
        await FaceTable.WriteAsync(truthPath, truthRows, new Dictionary<string, string>());
        float[] Noisy(float[] t, double sd) => [.. t.Select(v => v + (float)(sd * (r.NextDouble() - 0.5)))];
        // model 0 is good, model 1 is bad: the stack should lean on model 0.
        var oof = new List<Fkd.Flow.Stages.ResolvedInput>();
        foreach (var (m, sd) in new[] { (0, 1.0), (1, 20.0) })
            for (var f = 0; f < 2; f++)
                oof.Add(await Preds($"oof{m}{f}.parquet", truthRows.Where(t => t.Tags["fold"] == f).Select(t => new Prediction(t.Id, t.Hash, Noisy(t.Coords, sd)))));
        var targetTruth = Enumerable.Range(100, 10).Select(i => (Id: (long)i, C: Coords(r))).ToList();
        var predict = new List<Fkd.Flow.Stages.ResolvedInput>
        {
            await Preds("p0.parquet", targetTruth.Select(t => new Prediction(t.Id, $"h{t.Id}", Noisy(t.C, 1.0)))),
            await Preds("p1.parquet", targetTruth.Select(t => new Prediction(t.Id, $"h{t.Id}", Noisy(t.C, 20.0)))),
        };
        var output = Path.Combine(_dir, "out");
        Directory.CreateDirectory(output);
        var inputs = new Dictionary<string, Fkd.Flow.Stages.ResolvedInput> { ["truth"] = new("truth", "t", truthPath, true) };
        var outcome = await new StackStage().RunAsync(Context(output, 2, inputs, new() { ["oof"] = [.. oof], ["predict"] = [.. predict] }, meta), CancellationToken.None);

        Assert.Equal(10, outcome.Rows);
        Assert.Equal("300", outcome.Facts["oof_rows"]);
        Assert.Equal("2", outcome.Facts["folds"]);
        Assert.Contains(outcome.Facts["alpha"], new[] { "1", "100" });
        Assert.True(outcome.Facts.ContainsKey("cv_rmse_alpha_100"));
        Assert.True(double.Parse(outcome.Facts["oof_rmse_m0"], System.Globalization.CultureInfo.InvariantCulture) < 1);
        var stacked = (await PredictionTable.ReadAsync(Path.Combine(output, "predictions.parquet"))).ToDictionary(p => p.Id, p => p.Coords);
        var rmse = Rmse.Of(targetTruth.Select(t => (t.Id, t.C)), stacked).Overall;
        Assert.True(rmse < 1, $"stack RMSE {rmse:F2}");
        Assert.True(File.Exists(Path.Combine(output, "weights.parquet")));
        // The elastic net's L1 share drops some of the 60 features per coordinate (the bad model's are noise).
        Assert.Equal(meta == "elastic-net", outcome.Facts.TryGetValue("zero_weights", out var zeros) && int.Parse(zeros) > 0);

        // Three oof files cannot be two models' folds; one predict file is not two models'.
        var bad = Path.Combine(_dir, "bad");
        Directory.CreateDirectory(bad);
        await Assert.ThrowsAsync<InvalidDataException>(() => new StackStage().RunAsync(Context(bad, 2, inputs, new() { ["oof"] = [.. oof.Take(3)], ["predict"] = [.. predict] }), CancellationToken.None));
        await Assert.ThrowsAsync<InvalidDataException>(() => new StackStage().RunAsync(Context(bad, 2, inputs, new() { ["oof"] = [.. oof], ["predict"] = [predict[0]] }), CancellationToken.None));
    }

    // stack-fit then stack-apply is stack in two stages: the same weights, the same predictions bit for bit, on two
    // target sets from one fit; and the same checks on the predict list.
    [Theory]
    [InlineData("ridge")]
    [InlineData("elastic-net")]
    public async Task Fit_then_apply_predicts_what_the_one_stage_stack_predicts(string meta)
    {
        var r = new Random(5);
        var truthRows = Enumerable.Range(0, 120).Select(i => new FaceRow(i, i, $"h{i}", new byte[Keypoints.PixelCount], Coords(r), FaceRow.NoTags.Add("fold", i % 3))).ToList();
        var truthPath = Path.Combine(_dir, "fa-truth.parquet");
        await FaceTable.WriteAsync(truthPath, truthRows, new Dictionary<string, string>());
        float[] Noisy(float[] t, double sd) => [.. t.Select(v => v + (float)(sd * (r.NextDouble() - 0.5)))];
        var oof = new List<Fkd.Flow.Stages.ResolvedInput>();
        foreach (var (m, sd) in new[] { (0, 2.0), (1, 6.0) })
            for (var f = 0; f < 3; f++)
                oof.Add(await Preds($"fa-oof{m}{f}.parquet", truthRows.Where(t => t.Tags["fold"] == f).Select(t => new Prediction(t.Id, t.Hash, Noisy(t.Coords, sd)))));
        async Task<List<Fkd.Flow.Stages.ResolvedInput>> Target(string name, int rows) => [
            await Preds($"{name}0.parquet", Enumerable.Range(500, rows).Select(i => new Prediction(i, $"h{i}", Coords(r)))),
            await Preds($"{name}1.parquet", Enumerable.Range(500, rows).Select(i => new Prediction(i, $"h{i}", Coords(r)))),
        ];
        var val = await Target("fa-val", 12);
        var test = await Target("fa-test", 7);
        var inputs = new Dictionary<string, Fkd.Flow.Stages.ResolvedInput> { ["truth"] = new("truth", "t", truthPath, true) };
        string Out(string name) { var d = Path.Combine(_dir, name); Directory.CreateDirectory(d); return d; }

        var fitDir = Out("fa-fit");
        var fit = await new StackFitStage().RunAsync(Context(fitDir, 2, inputs, new() { ["oof"] = [.. oof] }, meta), CancellationToken.None);
        Assert.Equal(30, fit.Rows);   // one fit per coordinate
        foreach (var (name, target) in new[] { ("val", val), ("test", test) })
        {
            var oneDir = Out($"fa-one-{name}");
            var one = await new StackStage().RunAsync(Context(oneDir, 2, inputs, new() { ["oof"] = [.. oof], ["predict"] = [.. target] }, meta), CancellationToken.None);
            Assert.Equal(one.Facts, fit.Facts);
            var applyDir = Out($"fa-apply-{name}");
            var stackInput = new Fkd.Flow.Stages.ResolvedInput("stack", "s", Path.Combine(fitDir, "stack.json"), true);
            var applied = await new StackApplyStage().RunAsync(ApplyContext(applyDir, stackInput, [.. target]), CancellationToken.None);
            Assert.Equal(one.Rows, applied.Rows);
            var expected = await PredictionTable.ReadAsync(Path.Combine(oneDir, "predictions.parquet"));
            var actual = await PredictionTable.ReadAsync(Path.Combine(applyDir, "predictions.parquet"));
            Assert.Equal(expected.Select(p => (p.Id, p.Hash)), actual.Select(p => (p.Id, p.Hash)));
            for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Coords, actual[i].Coords);
            var (w1, w2) = (await ReadWeights(Path.Combine(oneDir, "weights.parquet")), await ReadWeights(Path.Combine(fitDir, "weights.parquet")));
            Assert.Equal(w1.Features, w2.Features);
            Assert.Equal(w1.Weights, w2.Weights);
            Assert.Equal(w1.Coefficients, w2.Coefficients);
        }
        var bad = Out("fa-bad");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new StackApplyStage().RunAsync(
            ApplyContext(bad, new("stack", "s", Path.Combine(fitDir, "stack.json"), true), [val[0]]), CancellationToken.None));
        Assert.Contains("1 predict files for 2 models", e.Message);
    }

    /// <summary>weights.parquet's features, weights and coefficients, one group (what the stack writes).</summary>
    private static async Task<(string?[] Features, double[] Weights, double[] Coefficients)> ReadWeights(string path)
    {
        await using var reader = await Parquet.ParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        using var rg = reader.OpenRowGroupReader(0);
        var n = (int)rg.RowCount;
        var features = new string?[n]; await rg.ReadAsync(fields.First(f => f.Name == "feature"), features.AsMemory(), null);
        var weights = new double[n]; await rg.ReadAsync(fields.First(f => f.Name == "weight"), weights.AsMemory(), null);
        var coefficients = new double[n]; await rg.ReadAsync(fields.First(f => f.Name == "coefficient"), coefficients.AsMemory(), null);
        return (features, weights, coefficients);
    }

    private static Fkd.Flow.Stages.StageContext ApplyContext(string output, Fkd.Flow.Stages.ResolvedInput stack, ImmutableArray<Fkd.Flow.Stages.ResolvedInput> predict) =>
        new("stack_apply", "k", ImmutableSortedDictionary<string, System.Text.Json.Nodes.JsonNode>.Empty,
            new Dictionary<string, Fkd.Flow.Stages.ResolvedInput> { ["stack"] = stack }.ToImmutableDictionary(), output, Serilog.Core.Logger.None,
            new Progress<Fkd.Flow.Stages.StageProgress>(), Path.Combine(output, ".s"),
            new Dictionary<string, ImmutableArray<Fkd.Flow.Stages.ResolvedInput>> { ["predict"] = predict }.ToImmutableDictionary());

    [Fact]
    public async Task The_truth_read_by_row_groups_gives_the_bytes_of_one_group_and_an_empty_truth_is_an_error()
    {
        var r = new Random(4);
        // 53 truth rows with images, groups of 7 (not a divisor); rows 0..2 have no out-of-fold prediction, so the filter crosses a group.
        var truthRows = Enumerable.Range(0, 53).Select(i => new FaceRow(i, i, $"h{i}", [.. Enumerable.Range(0, Keypoints.PixelCount).Select(k => (byte)(k * i))], Coords(r), FaceRow.NoTags.Add("fold", i % 2))).ToList();
        var oof = new List<Fkd.Flow.Stages.ResolvedInput>();
        foreach (var (m, sd) in new[] { (0, 1.0), (1, 8.0) })
            for (var f = 0; f < 2; f++)
                oof.Add(await Preds($"g-oof{m}{f}.parquet", truthRows.Where(t => t.Id >= 3 && t.Tags["fold"] == f).Select(t => new Prediction(t.Id, t.Hash, [.. t.Coords.Select(v => v + (float)(sd * (r.NextDouble() - 0.5)))]))));
        var predict = new List<Fkd.Flow.Stages.ResolvedInput>
        {
            await Preds("g-p0.parquet", truthRows.Take(5).Select(t => new Prediction(t.Id, t.Hash, t.Coords))),
            await Preds("g-p1.parquet", truthRows.Take(5).Select(t => new Prediction(t.Id, t.Hash, [.. t.Coords.Select(v => v + 1)]))),
        };
        async Task<(Fkd.Flow.Stages.StageOutcome Outcome, byte[] Preds, byte[] Weights)> Run(string name, IReadOnlyList<FaceRow> rows, int group)
        {
            var truthPath = Path.Combine(_dir, name + ".parquet");
            await FaceTable.WriteAsync(truthPath, rows, new Dictionary<string, string>(), rowGroupSize: group);
            var output = Path.Combine(_dir, name);
            Directory.CreateDirectory(output);
            var inputs = new Dictionary<string, Fkd.Flow.Stages.ResolvedInput> { ["truth"] = new("truth", "t", truthPath, true) };
            var outcome = await new StackStage().RunAsync(Context(output, 2, inputs, new() { ["oof"] = [.. oof], ["predict"] = [.. predict] }), CancellationToken.None);
            return (outcome, File.ReadAllBytes(Path.Combine(output, "predictions.parquet")), File.ReadAllBytes(Path.Combine(output, "weights.parquet")));
        }
        var whole = await Run("one-group", truthRows, 2048);
        var grouped = await Run("groups-of-7", truthRows, 7);
        Assert.Equal(whole.Preds, grouped.Preds);
        Assert.Equal(whole.Weights, grouped.Weights);
        Assert.Equal(whole.Outcome.Facts, grouped.Outcome.Facts);
        Assert.Equal("50", grouped.Outcome.Facts["oof_rows"]);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Run("empty", [], 7));
        Assert.Contains("no truth row", e.Message);
    }
}
