using Fkd.Flow.Stages;
using Fkd.Flow.Store;
using Fkd.Stages.Torch;
using System.CommandLine;
using System.Text.Json.Nodes;
using Fkd.Stages.Faces;
using Fkd.Stages.Parse;
using Fkd.Stages.Predict;

namespace Fkd.Cli.Commands;

/// <summary>A model scored on a labelled file: the model, the file's rows (in file order, ids 0..n−1) and the RMSE.</summary>
public sealed record Evaluation(RunModel Model, IReadOnlyList<FaceRow> Rows, RmseReport Report);

/// <summary>
/// <c>evaluate</c>: RMSE (pixels, Kaggle's score) of a run's trained model on any labelled Kaggle-format file,
/// overall and per keypoint, over the coordinates the file labels.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "run id (or unique prefix) or 'latest'", DefaultValueFactory = _ => "latest" };
        var data = new Option<string>("--data") { Description = "labelled Kaggle-format file (.csv, .csv.gz or .zip)", Required = true };
        var stage = new Option<string?>("--stage") { Description = "the train stage to use when the run has several" };
        var device = new Option<TorchDevice>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => TorchDevice.Auto };
        var shift = new Option<int>("--shift-tta") { Description = "shift test-time augmentation in pixels, as the predict stage's shift_tta (0 = off)", DefaultValueFactory = _ => 0 };
        var json = Common.JsonOption();
        var cmd = new Command("evaluate", "RMSE of a run's model on a labelled Kaggle-format file") { run, data, stage, device, shift, json };
        cmd.SetAction(pr =>
        {
            var path = pr.GetValue(data)!;
            var (model, rows, report) = Score(Common.Store(pr), pr.GetValue(run)!, pr.GetValue(stage), path, pr.GetValue(device), pr.GetValue(shift));
            if (pr.GetValue(json))
            {
                var per = new JsonObject();
                foreach (var (k, v, _) in report.PerKeypoint) per[k] = Num(v);
                Common.PrintJson(new JsonObject
                {
                    ["run"] = model.Run.Id, ["stage"] = model.Stage, ["model"] = model.Info.Model, ["model_key"] = model.Key,
                    ["targets"] = ParamSchema.ChoiceName(model.Info.Targets), ["shift_tta"] = pr.GetValue(shift), ["data"] = path, ["rows"] = rows.Count, ["coordinates"] = report.Count,
                    ["rmse"] = Num(report.Overall), ["per_keypoint"] = per,
                });
                return ExitCodes.Ok;
            }
            var o = System.Console.Out;
            o.WriteLine($"run     {model.Run.Id}, stage {model.Stage} ({model.Info.Model}, targets {ParamSchema.ChoiceName(model.Info.Targets)}, entry {model.Key[..12]})");
            o.WriteLine($"data    {path}: {rows.Count:N0} rows, {report.Count:N0} labelled coordinates scored");
            o.WriteLine($"RMSE    {report.Overall:F3} px");
            o.WriteLine();
            o.WriteLine($"{"keypoint",-26} {"rmse px",8} {"labelled",9}");
            foreach (var (k, v, n) in report.PerKeypoint)
                o.WriteLine($"{k,-26} {(double.IsNaN(v) ? "-" : v.ToString("F3")),8} {n / 2,9:N0}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// What <c>evaluate</c> computes: the run's model (<paramref name="stage"/>: the train stage, when it has several)
    /// run over every row of the labelled Kaggle-format file <paramref name="path"/> as the predict stage runs it (flip
    /// TTA as the model was trained to use, shift TTA of <paramref name="shiftTta"/> px), and the RMSE over the coordinates
    /// the file labels. Usage errors for a missing, empty or unlabelled file, or a shift outside the predict stage's range.
    /// </summary>
    public static Evaluation Score(ArtifactStore store, string run, string? stage, string path, TorchDevice device, int shiftTta = 0)
    {
        // The predict stage's parameter, checked by its own declaration.
        ParamSchema.Of<PredictParams>().Decls.Single(d => d.Name == "shift_tta").Check(shiftTta)
            .IfLeft(why => throw new UsageException($"--shift-tta: {why}"));
        if (!File.Exists(path)) throw new UsageException($"no file '{path}'");
        var model = ModelLoader.Load(store, run, stage);
        var parsed = KaggleCsvReader.Read(path, new ParseOptions(ParseMode.Strict));
        if (parsed.Rows.Length == 0) throw new UsageException($"{path} has no data rows");
        if (parsed.Rows.All(r => Array.TrueForAll(r.Coords, float.IsNaN)))
            throw new UsageException($"{path} has no keypoint labels (columns: {string.Join(", ", parsed.Columns)}); evaluate needs a labelled file like training.csv");
        var rows = parsed.Rows.Select((r, i) => new FaceRow(i, r.Line, ImageHash.HexOf(r.Pixels), r.Pixels, r.Coords, FaceRow.NoTags)).ToList();
        var preds = PredictStage.Run(model.ModelFile, model.Info, rows, device, shiftTta: shiftTta);
        return new Evaluation(model, rows, Rmse.Of(rows.Select(r => (r.Id, r.Coords)), preds.ToDictionary(p => p.Id, p => p.Coords)));
    }

    private static JsonNode? Num(double v) => double.IsNaN(v) ? null : JsonValue.Create(Math.Round(v, 6));
}
