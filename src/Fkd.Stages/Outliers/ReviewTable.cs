using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;
using Fkd.Flow.Store;

namespace Fkd.Stages.Outliers;

/// <summary>
/// Parquet layout of review.parquet (docs/parquet-schema.md): one row per face, highest score
/// first, with each check's number (null where it could not run).
/// </summary>
public static class ReviewTable
{
    public static Task WriteAsync(string path, IReadOnlyList<ReviewRow> rows, IReadOnlyDictionary<string, string> metadata, CancellationToken ct = default)
    {
        static double? N(double v) => double.IsNaN(v) ? null : v;
        TableColumn D(string name, Func<OutlierCheck, double> get) => TableColumn.Of(name, [.. rows.Select(r => N(get(r.Check)))]);
        return SmallTable.WriteAsync(path, metadata, ct,
            TableColumn.Of("id", [.. rows.Select(r => r.Id)]),
            TableColumn.Of("image_hash", [.. rows.Select(r => r.Hash)]),
            TableColumn.Of("score", [.. rows.Select(r => double.IsNaN(r.Check.Score) ? 0 : r.Check.Score)]),
            TableColumn.Of("flagged", [.. rows.Select(r => r.Check.Flagged)]),
            TableColumn.Of("reasons", [.. rows.Select(r => r.Check.Reasons)]),
            TableColumn.Of("points", [.. rows.Select(r => r.Check.Points)]),
            D("eye_dx", c => c.EyeDx),
            D("mouth_nose_dy", c => c.MouthNoseDy),
            D("nose_eye_dy", c => c.NoseEyeDy),
            D("eye_distance", c => c.EyeDistance),
            D("eye_distance_z", c => c.EyeDistanceZ),
            D("shape_residual_px", c => c.ShapeResidualPx),
            D("shape_z", c => c.ShapeZ),
            TableColumn.Of("shape_keypoint", [.. rows.Select(r => r.Check.ShapeKeypoint >= 0 ? Keypoints.Names[r.Check.ShapeKeypoint] : "")]));
    }

    /// <summary>The id, hash, score, flag and reasons of every row (what the report needs).</summary>
    public static async Task<ImmutableArray<(long Id, string Hash, double Score, bool Flagged, string Reasons)>> ReadAsync(string path, CancellationToken ct = default)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        var fields = reader.Schema.GetDataFields();
        DataField F(string name) => fields.First(f => f.Name == name);
        var res = ImmutableArray.CreateBuilder<(long, string, double, bool, string)>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var n = (int)rg.RowCount;
            var ids = new long[n]; await rg.ReadAsync(F("id"), ids.AsMemory(), null, ct);
            var hashes = await RequiredColumns.ReadStringsAsync(rg, F("image_hash"), path, reader, g, ct);
            var scores = new double[n]; await rg.ReadAsync(F("score"), scores.AsMemory(), null, ct);
            var flags = new bool[n]; await rg.ReadAsync(F("flagged"), flags.AsMemory(), null, ct);
            var reasons = await RequiredColumns.ReadStringsAsync(rg, F("reasons"), path, reader, g, ct);
            for (var i = 0; i < n; i++) res.Add((ids[i], hashes[i], scores[i], flags[i], reasons[i]));
        }
        return res.ToImmutable();
    }

    /// <summary>Flagged rows as label-fix drop-list lines: <c>image_hash,reason</c> (reason free text, last).</summary>
    public static string DropCsv(IEnumerable<ReviewRow> rows)
    {
        var sb = new StringBuilder("image_hash,reason\n");
        foreach (var r in rows.Where(r => r.Check.Flagged))
            sb.Append(r.Hash).Append(',').Append(string.Create(CultureInfo.InvariantCulture, $"outlier score {r.Check.Score:F1}: "))
              .Append(r.Check.Reasons.Replace(',', ' ').Replace('\n', ' ')).Append('\n');
        return sb.ToString();
    }
}
