using Fkd.Stages.Faces;
using Fkd.Stages.Predict;
using Fkd.Stages.Tests.Faces;
using Fkd.Stages.Tests.Torch;
using Fkd.Stages.Torch;

namespace Fkd.Stages.Tests.Predict;

[Collection(TorchCollection.Name)]
public sealed class PredictStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-predstream-").FullName;
    private static readonly Dictionary<string, string> Meta = new() { ["fkd.stage"] = "predict" };

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>An untrained model saved as train saves one: its answers vary with the image, which is all the comparison needs.</summary>
    private (string File, ModelInfo Info) Model(bool flipTta)
    {
        TorchRuntime.PrepareProcess();
        var file = Path.Combine(_dir, $"mlp-{flipTta}.bin");
        using (var m = ModelFactory.Create("mlp", 30, new ModelOptions(0.1))) m.save(file);
        return (file, new ModelInfo("mlp", 30, 0.1, TrainTargets.Masked, flipTta, 0, 0, null));
    }

    [Theory]
    [InlineData(0, 4, -1, false)]    // empty input: no model read, an empty table
    [InlineData(300, 100, -1, true)] // row groups that do not line up with the 256-image batches, with flip TTA
    [InlineData(70, 7, 2, false)]    // only one fold's rows, from groups of 7
    public async Task Streaming_predicts_and_writes_the_bytes_the_whole_table_code_did(int n, int inGroup, int fold, bool flipTta)
    {
        var rows = FaceTableStreamTests.Rows(n, seed: 6);
        var input = Path.Combine(_dir, "in.parquet");
        await FaceTable.WriteAsync(input, rows, new Dictionary<string, string>(), rowGroupSize: inGroup);
        var (file, info) = Model(flipTta);

        var whole = PredictStage.Run(file, info, PredictStage.OnlyFold(rows, fold), TorchDevice.Cpu, threads: 1);
        var s = await PredictStage.RunStreamingAsync(file, info, input, fold, TorchDevice.Cpu, threads: 1);

        string a = Path.Combine(_dir, "whole.parquet"), b = Path.Combine(_dir, "streamed.parquet");
        await PredictionTable.WriteAsync(a, whole, Meta);
        await PredictionTable.WriteAsync(b, s.Predictions, Meta);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Equal(whole.Length, s.Predictions.Length);
        if (n > 0) Assert.True(s.Predictions.Length > 0 && s.Predictions.Select(p => p.Coords[0]).Distinct().Count() > 1, "the model's answers should vary with the image");
        Assert.Equal(Math.Max(1, (n + inGroup - 1) / inGroup), s.RowGroupsIn);
    }

    [Fact]
    public async Task A_fold_no_row_has_is_an_error()
    {
        var input = Path.Combine(_dir, "in.parquet");
        await FaceTable.WriteAsync(input, FaceTableStreamTests.Rows(10), new Dictionary<string, string>(), rowGroupSize: 4);
        var (file, info) = Model(false);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => PredictStage.RunStreamingAsync(file, info, input, 7, TorchDevice.Cpu, 1));
        Assert.Contains("no row has fold tag 7", e.Message);
    }

    [Fact]
    public async Task The_images_a_streaming_prediction_holds_are_one_row_group_and_one_batch_not_the_row_count()
    {
        const int group = 16;
        const long bound = group + 255; // one input row group + a batch not yet run
        var (file, info) = Model(false);
        foreach (var n in new[] { 40, 700 })
        {
            var input = Path.Combine(_dir, $"in{n}.parquet");
            await FaceTable.WriteAsync(input, FaceTableStreamTests.Rows(n), new Dictionary<string, string>(), rowGroupSize: group);
            var s = await PredictStage.RunStreamingAsync(file, info, input, -1, TorchDevice.Cpu, threads: 1);
            Assert.Equal(n, s.Predictions.Length);
            Assert.InRange(s.PeakImagesHeld, 1, bound);
        }
        Assert.True(bound < 700, "the bound must be below the larger input's row count for the test to mean anything");
    }
}
