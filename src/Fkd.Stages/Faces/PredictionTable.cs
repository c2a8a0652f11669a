using Parquet;
using Parquet.Schema;
using Fkd.Flow.Store;

namespace Fkd.Stages.Faces;

/// <summary>Predicted keypoints for one image, in pixels (NaN where the model gives none).</summary>
public sealed record Prediction(long Id, string Hash, float[] Coords);

/// <summary>Parquet layout of predictions: <c>id</c> int64, <c>image_hash</c> string, the 30 Kaggle columns as nullable float.</summary>
public static class PredictionTable
{

    public static async Task WriteAsync(string path, IReadOnlyList<Prediction> rows, IReadOnlyDictionary<string, string> metadata, CancellationToken ct = default)
    {
        // Fresh fields per file: Parquet.Net's fields are mutable and must not be shared by concurrent writers.
        var IdField = new DataField<long>("id");
        var HashField = new DataField<string>("image_hash");
        DataField<float?>[] CoordFields = [.. Keypoints.Columns.Select(c => new DataField<float?>(c))];
        var schema = new ParquetSchema([IdField, HashField, .. CoordFields]);
        await using var fs = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, fs, FaceTable.WriteOptions, cancellationToken: ct);
        writer.CustomMetadata = metadata.ToDictionary();
        using var rg = writer.CreateRowGroup();
        await rg.WriteAsync<long>(IdField, (ReadOnlyMemory<long>)rows.Select(r => r.Id).ToArray(), null, null, ct);
        await rg.WriteAsync(HashField, rows.Select(r => r.Hash).ToArray());
        for (var c = 0; c < Keypoints.CoordCount; c++)
            await rg.WriteAsync<float>(CoordFields[c], (ReadOnlyMemory<float?>)rows.Select(r => float.IsNaN(r.Coords[c]) ? (float?)null : r.Coords[c]).ToArray(), null, null, ct);
    }

    public static async Task<ImmutableArray<Prediction>> ReadAsync(string path, CancellationToken ct = default)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        var fields = reader.Schema.GetDataFields();
        var res = ImmutableArray.CreateBuilder<Prediction>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var n = (int)rg.RowCount;
            var ids = new long[n]; await rg.ReadAsync(fields.First(f => f.Name == "id"), ids.AsMemory(), null, ct);
            var hashes = await RequiredColumns.ReadStringsAsync(rg, fields.First(f => f.Name == "image_hash"), path, reader, g, ct);
            var coords = Enumerable.Range(0, n).Select(_ => Face.MissingCoords()).ToArray();
            for (var c = 0; c < Keypoints.CoordCount; c++)
            {
                var col = new float?[n];
                await rg.ReadAsync(fields.First(f => f.Name == Keypoints.Columns[c]), col.AsMemory(), null, ct);
                for (var i = 0; i < n; i++) if (col[i] is { } v) coords[i][c] = v;
            }
            for (var i = 0; i < n; i++) res.Add(new Prediction(ids[i], hashes[i], coords[i]));
        }
        return res.ToImmutable();
    }
}
