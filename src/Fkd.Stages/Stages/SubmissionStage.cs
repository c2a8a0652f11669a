using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Fkd.Flow.Stages;
using Fkd.Stages.Faces;

namespace Fkd.Stages.Stages;

/// <summary>
/// Writes Kaggle's submission file <c>RowId,Location</c> from test predictions through
/// IdLookupTable.csv (RowId,ImageId,FeatureName[,Location]); locations clipped to [0, 96]. Without a
/// lookup table every image gets all 30 features, RowIds numbered in image then column order.
/// </summary>
public sealed class SubmissionStage : FaceStage
{
    public override string Kind => "submission";
    public override int Version => 1;
    public override string Description => "Kaggle submission CSV (RowId,Location) via IdLookupTable";
    public override ImmutableArray<ParamDecl> Params => [];
    public override ImmutableArray<InputDecl> Inputs =>
    [
        new("predictions", InputShape.File, "test predictions (ids are Kaggle ImageIds)"),
        new("lookup", InputShape.File, "IdLookupTable.csv", Optional: true),
    ];
    public override ImmutableArray<string> Outputs => ["submission.csv"];

    public override async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken ct)
    {
        var preds = (await PredictionTable.ReadAsync(ctx.Input("predictions").Path, ct)).ToDictionary(p => p.Id, p => p.Coords);
        var requests = ctx.OptionalInput("lookup") is { } l
            ? ReadLookup(l.Path)
            : [.. preds.Keys.Order().SelectMany(id => Keypoints.Columns.Select(c => (id, c))).Select((r, i) => (i + 1, r.id, r.c))];
        var sb = new StringBuilder("RowId,Location\n");
        var clipped = 0;
        foreach (var (rowId, imageId, feature) in requests)
        {
            if (!preds.TryGetValue(imageId, out var p)) throw new InvalidDataException($"lookup row {rowId}: no prediction for ImageId {imageId}");
            var v = p[Keypoints.Columns.IndexOf(feature)];
            if (float.IsNaN(v)) throw new InvalidDataException($"lookup row {rowId}: the model gives no {feature} for ImageId {imageId}");
            var c = Math.Clamp(v, 0f, 96f);
            if (c != v) clipped++;
            sb.Append(rowId.ToString(CultureInfo.InvariantCulture)).Append(',').Append(c.ToString("0.####", CultureInfo.InvariantCulture)).Append('\n');
        }
        await File.WriteAllTextAsync(ctx.Output("submission.csv"), sb.ToString(), ct);
        ctx.Log.Information("Submission: {Rows} rows for {Images} images ({Clipped} clipped to [0, 96])", requests.Length, preds.Count, clipped);
        return StageOutcome.Of(requests.Length, ("images", preds.Count), ("clipped", clipped));
    }

    public static ImmutableArray<(int RowId, long ImageId, string Feature)> ReadLookup(string path)
    {
        var csv = SimpleCsv.Read(path);
        int Col(string c) => csv.IndexOf(c) is var i and >= 0 ? i : throw new InvalidDataException($"{csv.Name}:1:1: header: expected a {c} column");
        var (ri, ii, fi) = (Col("RowId"), Col("ImageId"), Col("FeatureName"));
        var res = ImmutableArray.CreateBuilder<(int, long, string)>();
        foreach (var (line, f) in csv.Rows())
        {
            // Kaggle's table ends with an empty Location column, which a line may leave out.
            if (f.Length < csv.Header.Length - 1 || !int.TryParse(f[ri], out var row) || !long.TryParse(f[ii], out var img))
                throw new InvalidDataException($"{csv.Name}:{line}:1: expected RowId,ImageId,FeatureName with integer ids");
            var feat = f[fi].Trim();
            if (!Keypoints.Columns.Contains(feat)) throw new InvalidDataException($"{csv.Name}:{line}: FeatureName: expected a Kaggle keypoint column, found \"{feat}\"");
            res.Add((row, img, feat));
        }
        return res.ToImmutable();
    }
}
