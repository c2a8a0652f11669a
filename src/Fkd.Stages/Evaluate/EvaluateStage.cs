using System.IO.Compression;
using Parquet.Schema;

namespace Fkd.Stages.Evaluate;

/// <summary>Scores predictions against labelled faces: RMSE overall and per keypoint, written to rmse.parquet.</summary>
public sealed class EvaluateStage() : FaceStage<NoParams>("evaluate", 1, "RMSE overall and per keypoint of predictions against labelled faces", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, NoParams _, CancellationToken ct)
    {
        var preds = (await PredictionTable.ReadAsync(ctx.Input("predictions").Path, ct)).ToDictionary(p => p.Id, p => p.Coords);
        var truth = await ReadFaces(ctx, "truth", ct);
        var report = Rmse.Of(truth.Select(t => (t.Id, t.Coords)), preds);
        await WriteReport(ctx.Output("rmse.parquet"), report, MetadataFor(ctx), ct);
        ctx.Log.Information("RMSE {Rmse:F3} px over {Count} coordinates of {Rows} faces", report.Overall, report.Count, truth.Length);
        return StageOutcome.Of(report.PerKeypoint.Length + 1, ("rmse", report.Overall.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)), ("faces", truth.Length));
    }

    /// <summary>One row per keypoint plus a final <c>overall</c> row: keypoint, rmse, n (coordinates scored).</summary>
    public static Task WriteReport(string path, RmseReport r, IReadOnlyDictionary<string, string> metadata, CancellationToken ct) =>
        SmallTable.WriteAsync(path, metadata, ct,
            TableColumn.Of("keypoint", [.. r.PerKeypoint.Select(p => p.Keypoint).Append("overall")]),
            TableColumn.Of("rmse", [.. r.PerKeypoint.Select(p => p.Rmse).Append(r.Overall)]),
            TableColumn.Of("n", [.. r.PerKeypoint.Select(p => p.Count).Append(r.Count)]));

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("predictions", InputShape.File, "predictions table (e.g. predict_val/predictions.parquet)"),
        new("truth", InputShape.File, "labelled face table with the same ids (e.g. split/val.parquet)"),
    ];
    private static readonly ImmutableArray<string> Writes = ["rmse.parquet"];
}
