using System.IO.Compression;
using Parquet;
using Parquet.Schema;

namespace Fkd.Stages.Faces;

/// <summary>
/// One row of a face table: the face, where it came from (<paramref name="Line"/> in the source
/// CSV, 0 if made here), the hash of its pixels, and integer tags stages add (dedup group size,
/// fold, augmentation variant...).
/// </summary>
public sealed record FaceRow(long Id, int Line, string Hash, byte[] Pixels, float[] Coords, ImmutableSortedDictionary<string, long> Tags)
{
    public static readonly ImmutableSortedDictionary<string, long> NoTags = ImmutableSortedDictionary<string, long>.Empty;

    public Face Face => new(Id, Pixels, Coords);

    public FaceRow Tag(string name, long value) => this with { Tags = Tags.SetItem(name, value) };

    public long TagOr(string name, long fallback) => Tags.TryGetValue(name, out var v) ? v : fallback;
}

/// <summary>
/// The Parquet layout every face stage reads and writes (documented in docs/parquet-schema.md):
/// <c>id</c> int64, <c>line</c> int32, <c>image_hash</c> string (32 hex), <c>image</c> binary
/// (9,216 bytes, 96x96 row-major), the 30 Kaggle keypoint columns as nullable float, then one
/// nullable int64 column per tag. File metadata carries the stage, key and parameters.
/// </summary>
public static class FaceTable
{
    public const int RowGroupSize = 2048;

    /// <summary>
    /// The columns of one file. Made fresh for every writer: Parquet.Net's fields are mutable (a schema
    /// takes them as its children), and fields shared by two writers at once garbled both files.
    /// </summary>
    private sealed class Fields
    {
        public readonly DataField<long> Id = new("id");
        public readonly DataField<int> Line = new("line");
        public readonly DataField<string> Hash = new("image_hash");
        public readonly DataField<byte[]> Image = new("image");
        public readonly DataField<float?>[] Coords = [.. Keypoints.Columns.Select(c => new DataField<float?>(c))];
    }

    /// <summary>
    /// Zstd at its fastest level, set explicitly (the library's default level is its slowest and took
    /// 28 s for 7,049 faces).
    /// </summary>
    public static ParquetOptions WriteOptions => new() { CompressionMethod = CompressionMethod.Zstd, CompressionLevel = CompressionLevel.Fastest };

    public static async Task WriteAsync(string path, IReadOnlyList<FaceRow> rows, IReadOnlyDictionary<string, string> metadata, CancellationToken ct = default)
    {
        var tags = rows.SelectMany(r => r.Tags.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        await using var w = await Writer.CreateAsync(path, tags, metadata, ct);
        if (rows.Count == 0) await w.WriteRowGroupAsync([], ct);
        for (var start = 0; start < rows.Count; start += RowGroupSize)
            await w.WriteRowGroupAsync([.. Enumerable.Range(start, Math.Min(RowGroupSize, rows.Count - start)).Select(i => rows[i])], ct);
    }

    /// <summary>Writes a face table one row group at a time, so a producer (the parser) can stream into it.</summary>
    public sealed class Writer : IAsyncDisposable
    {
        private readonly Stream _file;
        private readonly ParquetWriter _writer;
        private readonly Fields _fields;
        private readonly string[] _tags;
        private readonly DataField<long?>[] _tagFields;

        private Writer(Stream file, ParquetWriter writer, Fields fields, string[] tags, DataField<long?>[] tagFields)
        {
            _file = file; _writer = writer; _fields = fields; _tags = tags; _tagFields = tagFields;
        }

        /// <param name="tags">The tag columns every row group will carry (rows lacking a tag get null).</param>
        public static async Task<Writer> CreateAsync(string path, IReadOnlyList<string> tags, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
        {
            var tagFields = tags.Select(t => new DataField<long?>(t)).ToArray();
            var f = new Fields();
            var schema = new ParquetSchema([f.Id, f.Line, f.Hash, f.Image, .. f.Coords, .. tagFields]);
            var fs = File.Create(path);
            var writer = await ParquetWriter.CreateAsync(schema, fs, WriteOptions, cancellationToken: ct);
            writer.CustomMetadata = metadata.ToDictionary();
            return new Writer(fs, writer, f, [.. tags], tagFields);
        }

        public async Task WriteRowGroupAsync(IReadOnlyList<FaceRow> slice, CancellationToken ct)
        {
            var n = slice.Count;
            var tags = _tags;
            var tagFields = _tagFields;
            using var rg = _writer.CreateRowGroup();
            var f = _fields;
            await rg.WriteAsync<long>(f.Id, (ReadOnlyMemory<long>)slice.Select(r => r.Id).ToArray(), null, null, ct);
            await rg.WriteAsync<int>(f.Line, (ReadOnlyMemory<int>)slice.Select(r => r.Line).ToArray(), null, null, ct);
            await rg.WriteAsync(f.Hash, slice.Select(r => r.Hash).ToArray());
            await rg.WriteAsync(f.Image, slice.Select(r => r.Pixels).ToArray());
            for (var c = 0; c < Keypoints.CoordCount; c++)
            {
                var col = new float?[n];
                for (var i = 0; i < n; i++) { var v = slice[i].Coords[c]; col[i] = float.IsNaN(v) ? null : v; }
                await rg.WriteAsync<float>(f.Coords[c], (ReadOnlyMemory<float?>)col, null, null, ct);
            }
            for (var t = 0; t < tags.Length; t++)
            {
                var col = slice.Select(r => r.Tags.TryGetValue(tags[t], out var v) ? v : (long?)null).ToArray();
                await rg.WriteAsync<long>(tagFields[t], (ReadOnlyMemory<long?>)col, null, null, ct);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _writer.DisposeAsync();
            await _file.DisposeAsync();
        }
    }

    public static async Task<ImmutableArray<FaceRow>> ReadAsync(string path, CancellationToken ct = default)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        var fields = reader.Schema.GetDataFields();
        var tagFields = fields.Where(f => f.Name is not ("id" or "line" or "image_hash" or "image") && !Keypoints.Columns.Contains(f.Name)).ToArray();
        var coordFields = Keypoints.Columns.Select(c => fields.FirstOrDefault(f => f.Name == c)).ToArray();
        var rows = ImmutableArray.CreateBuilder<FaceRow>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var n = (int)rg.RowCount;
            var ids = new long[n]; await rg.ReadAsync(Find(fields, "id"), ids.AsMemory(), null, ct);
            var lines = new int[n]; await rg.ReadAsync(Find(fields, "line"), lines.AsMemory(), null, ct);
            var hashes = new string[n]; await rg.ReadAsync(Find(fields, "image_hash"), hashes.AsMemory(), null, ct);
            var images = new byte[n][]; await rg.ReadAsync(Find(fields, "image"), images.AsMemory(), null, ct);
            var coords = new float[n][];
            for (var i = 0; i < n; i++) coords[i] = Face.MissingCoords();
            for (var c = 0; c < Keypoints.CoordCount; c++)
            {
                if (coordFields[c] is null) continue;
                var col = new float?[n];
                await rg.ReadAsync(coordFields[c]!, col.AsMemory(), null, ct);
                for (var i = 0; i < n; i++) if (col[i] is { } v) coords[i][c] = v;
            }
            var tags = new ImmutableSortedDictionary<string, long>.Builder?[n];
            foreach (var tf in tagFields)
            {
                var col = new long?[n];
                await rg.ReadAsync(tf, col.AsMemory(), null, ct);
                for (var i = 0; i < n; i++)
                    if (col[i] is { } v) (tags[i] ??= ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal))[tf.Name] = v;
            }
            for (var i = 0; i < n; i++)
                rows.Add(new FaceRow(ids[i], lines[i], hashes[i], images[i], coords[i], tags[i]?.ToImmutable() ?? FaceRow.NoTags));
        }
        return rows.ToImmutable();
    }

    private static DataField Find(DataField[] fields, string name) =>
        fields.FirstOrDefault(f => f.Name == name) ?? throw new InvalidDataException($"face table lacks column '{name}'");
}
