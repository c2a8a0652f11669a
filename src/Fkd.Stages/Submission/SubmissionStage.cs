using System.Globalization;
using System.Text;

namespace Fkd.Stages.Submission;

/// <summary>
/// Writes Kaggle's submission file <c>RowId,Location</c> from test predictions through
/// IdLookupTable.csv (RowId,ImageId,FeatureName[,Location]); locations clipped to [0, 96]. Without a
/// lookup table every image gets all 30 features, RowIds numbered in image then column order.
/// </summary>
public sealed class SubmissionStage() : FaceStage<NoParams>("submission", 1, "Kaggle submission CSV (RowId,Location) via IdLookupTable", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, NoParams _, CancellationToken ct)
    {
        var preds = (await PredictionTable.ReadAsync(ctx.Input("predictions").Path, ct)).ToDictionary(p => p.Id, p => p.Coords);
        var requests = ctx.OptionalInput("lookup") is { } l ? LookupTable.Read(l.Path) : LookupTable.Every(preds.Keys);
        var (rows, clipped) = SubmissionRows.Map(requests, preds);
        var sb = new StringBuilder("RowId,Location\n");
        foreach (var (rowId, location) in rows)
            sb.Append(rowId.ToString(CultureInfo.InvariantCulture)).Append(',').Append(location.ToString("0.####", CultureInfo.InvariantCulture)).Append('\n');
        await File.WriteAllTextAsync(ctx.Output("submission.csv"), sb.ToString(), ct);
        ctx.Log.Information("Submission: {Rows} rows for {Images} images ({Clipped} clipped to [0, 96])", rows.Length, preds.Count, clipped);
        return StageOutcome.Of(rows.Length, ("images", preds.Count), ("clipped", clipped));
    }

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("predictions", InputShape.File, "test predictions (ids are Kaggle ImageIds)"),
        new("lookup", InputShape.File, "IdLookupTable.csv", Optional: true),
    ];
    private static readonly ImmutableArray<string> Writes = ["submission.csv"];
}
