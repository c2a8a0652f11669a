using System.Text.Json.Nodes;
using Fkd.Cli.Tests.EndToEnd;
using Fkd.Stages.Source;

namespace Fkd.Cli.Tests.Commands;

/// <summary>`evaluate` scores a run's model on a labelled file, with the predict stage's shift TTA when asked.</summary>
public sealed class EvaluateCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void It_scores_the_runs_model_with_and_without_shift_tta_and_refuses_a_shift_out_of_range()
    {
        var store = _dir.File("store");
        var pipeline = Path.Combine(RepoPaths.Root!, "pipelines", "full.json");
        var run = CliProcess.Run(null, "run", pipeline, "--store", store, "--json",
            "--set", "faces.train_rows=120", "--set", "faces.test_rows=4", "--set", "train.epochs=1", "--set", "train.threads=2");
        Assert.True(run.Exit == 0, run.Tail);

        var labelled = _dir.File("labelled.csv");
        var faces = SyntheticFaces.Generate(new SyntheticOptions(TrainRows: 20, TestRows: 1, Seed: 9, PartialFraction: 0, DuplicateGroups: 0, WrongLabels: 0, BlankImages: 0)).Train;
        using (var f = File.Create(labelled)) KaggleCsvWriter.WriteTraining(f, faces);

        JsonNode Score(params string[] extra)
        {
            var r = CliProcess.Run(null, ["evaluate", "--store", store, "--data", labelled, "--json", .. extra]);
            Assert.True(r.Exit == 0, r.Tail);
            return JsonNode.Parse(r.Stdout)!;
        }
        var plain = Score();
        var shifted = Score("--shift-tta", "2");
        Assert.Equal(0, plain["shift_tta"]!.GetValue<int>());
        Assert.Equal(2, shifted["shift_tta"]!.GetValue<int>());
        Assert.Equal(plain["coordinates"]!.GetValue<int>(), shifted["coordinates"]!.GetValue<int>());
        Assert.NotEqual(plain["rmse"]!.GetValue<double>(), shifted["rmse"]!.GetValue<double>());
        Assert.Equal(plain["rmse"]!.GetValue<double>(), Score("--shift-tta", "0")["rmse"]!.GetValue<double>());

        var bad = CliProcess.Run(null, "evaluate", "--store", store, "--data", labelled, "--shift-tta", "17");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--shift-tta", bad.Tail);
    }
}
