using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Fkd.Flow.Stages;
using Fkd.Stages.Evaluate;
using Fkd.Stages.Faces;
using Parquet;

namespace Fkd.Stages.Tests.Evaluate;

public sealed class EvaluateStageTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    /// <summary>Truth of face <paramref name="id"/>: coordinate c is 20 + c + id (whole numbers, exact in float).</summary>
    private static float[] Truth(long id) => [.. Enumerable.Range(0, Keypoints.CoordCount).Select(c => 20f + c + id)];

    /// <summary>Writes truth and predictions of faces 1 and 2, runs the stage, and reads rmse.parquet back.</summary>
    private async Task<(StageOutcome Outcome, (string Keypoint, double Rmse, long N)[] Rows)> Run(
        IEnumerable<(long Id, float[] Truth)> truth, IEnumerable<Prediction> preds)
    {
        var truthPath = _dir.File("truth.parquet");
        var predPath = _dir.File("predictions.parquet");
        await FaceTable.WriteAsync(truthPath, [.. truth.Select(t => new FaceRow(t.Id, (int)t.Id, $"h{t.Id}", new byte[Keypoints.PixelCount], t.Truth, FaceRow.NoTags))], new Dictionary<string, string>());
        await PredictionTable.WriteAsync(predPath, [.. preds], new Dictionary<string, string>());
        var output = _dir.File("out");
        Directory.CreateDirectory(output);
        var ctx = new StageContext("evaluate", "k", ImmutableSortedDictionary<string, JsonNode>.Empty,
            new Dictionary<string, ResolvedInput>
            {
                ["predictions"] = new("predictions", "p", predPath, IsFile: true),
                ["truth"] = new("truth", "t", truthPath, IsFile: true),
            }.ToImmutableDictionary(),
            output, Serilog.Core.Logger.None, new Progress<StageProgress>());
        var outcome = await new EvaluateStage().RunAsync(ctx, CancellationToken.None);
        return (outcome, await ReadRmse(Path.Combine(output, "rmse.parquet")));
    }

    private static async Task<(string, double, long)[]> ReadRmse(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        using var rg = reader.OpenRowGroupReader(0);
        var n = (int)rg.RowCount;
        var names = new string?[n]; await rg.ReadAsync(fields.First(f => f.Name == "keypoint"), names.AsMemory(), null, default);
        var rmse = new double[n]; await rg.ReadAsync(fields.First(f => f.Name == "rmse"), rmse.AsMemory(), null, default);
        var count = new long[n]; await rg.ReadAsync(fields.First(f => f.Name == "n"), count.AsMemory(), null, default);
        return [.. Enumerable.Range(0, n).Select(i => (names[i]!, rmse[i], count[i]))];
    }

    /// <summary>Predictions = truth, then <paramref name="edit"/> applied to face 1's and face 2's copies.</summary>
    private static Prediction[] Predicted(Action<float[]>? face1 = null, Action<float[]>? face2 = null)
    {
        var (p1, p2) = (Truth(1), Truth(2));
        face1?.Invoke(p1);
        face2?.Invoke(p2);
        return [new(1, "h1", p1), new(2, "h2", p2)];
    }

    public static TheoryData<string, int, double, long, double, long> Cases => new()
    {
        // case, keypoint off, its RMSE, its n, overall RMSE, overall n (hand computed)
        { "nose_tip x off by 3 on one face", 10, 1.5, 4, 0.3872983346207417, 60 },                    // √(9/4), √(9/60)
        { "left_eye_center off by (3, -4) on one face", 0, 2.5, 4, 0.6454972243679028, 60 },         // √(25/4), √(25/60)
        { "nose_tip x off by 3 and -3 on the two faces", 10, 2.1213203435596424, 4, 0.5477225575051661, 60 }, // √(18/4), √(18/60)
        { "nose_tip x off by 3, bottom lip unlabelled on face 2", 10, 1.5, 4, 0.3939192985791677, 58 }, // √(9/58)
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Overall_and_per_keypoint_rmse_match_a_hand_computation(string name, int keypoint, double kpRmse, long kpN, double overall, long overallN)
    {
        Action<float[]> one = name.StartsWith("left_eye") ? p => { p[0] += 3; p[1] -= 4; } : p => p[20] += 3;
        Action<float[]>? two = name.Contains("and -3") ? p => p[20] -= 3 : null;
        var t2 = Truth(2);
        if (name.Contains("unlabelled")) (t2[28], t2[29]) = (float.NaN, float.NaN);

        var (outcome, rows) = await Run([(1, Truth(1)), (2, t2)], Predicted(one, two));

        Assert.Equal([.. Keypoints.Names, "overall"], rows.Select(r => r.Keypoint));
        Assert.Equal(kpRmse, rows[keypoint].Rmse, 9);
        Assert.Equal(kpN, rows[keypoint].N);
        for (var k = 0; k < Keypoints.Count; k++)
            if (k != keypoint) Assert.Equal(0, rows[k].Rmse, 9);
        Assert.Equal(name.Contains("unlabelled") ? 2 : 4, rows[14].N);
        Assert.Equal(overall, rows[^1].Rmse, 9);
        Assert.Equal(overallN, rows[^1].N);
        Assert.Equal(16, outcome.Rows);
        Assert.Equal(overall.ToString("F4", CultureInfo.InvariantCulture), outcome.Facts["rmse"]);
        Assert.Equal("2", outcome.Facts["faces"]);
    }

    [Fact]
    public async Task A_keypoint_unlabelled_everywhere_has_no_rmse_and_no_count()
    {
        static float[] NoNose(long id) { var t = Truth(id); (t[20], t[21]) = (float.NaN, float.NaN); return t; }
        var (_, rows) = await Run([(1, NoNose(1)), (2, NoNose(2))], Predicted(p => p[20] += 50));
        Assert.True(double.IsNaN(rows[10].Rmse));
        Assert.Equal(0, rows[10].N);
        Assert.Equal(0, rows[^1].Rmse, 9); // the far-off nose is not scored
        Assert.Equal(56, rows[^1].N);
    }

    [Fact]
    public async Task A_truth_row_without_a_prediction_is_an_error()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Run([(1, Truth(1)), (3, Truth(3))], Predicted()));
        Assert.Contains("no prediction for row 3", e.Message);
    }
}
