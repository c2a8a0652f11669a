using System.IO.Compression;
using Parquet;
using Parquet.Schema;
using Fkd.Flow.Store;

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

    public static async Task WriteAsync(string path, IReadOnlyList<FaceRow> rows, IReadOnlyDictionary<string, string> metadata, CancellationToken ct = default, int rowGroupSize = RowGroupSize)
    {
        var tags = rows.SelectMany(r => r.Tags.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        await using var w = await RowWriter.CreateAsync(path, tags, metadata, ct, rowGroupSize);
        foreach (var r in rows) await w.AddAsync(r, ct);
        await w.CompleteAsync(ct);
    }

    /// <summary>
    /// Writes rows one at a time, cut into row groups of <c>rowGroupSize</c> as they come: the layout
    /// <see cref="WriteAsync"/> gives the same rows (full groups, a short last one, one empty group for
    /// no rows), so a streaming stage writes the bytes the whole-table code wrote. Holds at most one
    /// group. <see cref="CompleteAsync"/> writes the last group; without it the file is unfinished.
    /// </summary>
    public sealed class RowWriter : IAsyncDisposable
    {
        private readonly Writer _writer;
        private readonly int _size;
        private List<FaceRow> _pending;
        private bool _completed;

        private RowWriter(Writer writer, int size) { _writer = writer; _size = size; _pending = new List<FaceRow>(size); }

        /// <summary>Rows written or buffered so far.</summary>
        public long Rows { get; private set; }

        /// <summary>Row groups written so far.</summary>
        public int RowGroups { get; private set; }

        /// <summary>Rows buffered now (at most one row group).</summary>
        public int Pending => _pending.Count;

        public static async Task<RowWriter> CreateAsync(string path, IReadOnlyList<string> tags, IReadOnlyDictionary<string, string> metadata, CancellationToken ct, int rowGroupSize = RowGroupSize)
        {
            if (rowGroupSize < 1) throw new ArgumentOutOfRangeException(nameof(rowGroupSize), "a row group holds at least one row");
            return new RowWriter(await Writer.CreateAsync(path, tags, metadata, ct), rowGroupSize);
        }

        public async ValueTask AddAsync(FaceRow row, CancellationToken ct)
        {
            if (_completed) throw new InvalidOperationException("the table is complete");
            _pending.Add(row);
            Rows++;
            if (_pending.Count >= _size) await FlushAsync(ct);
        }

        public async Task CompleteAsync(CancellationToken ct)
        {
            if (_completed) return;
            if (_pending.Count > 0 || RowGroups == 0) await FlushAsync(ct);
            _completed = true;
        }

        private async Task FlushAsync(CancellationToken ct)
        {
            await _writer.WriteRowGroupAsync(_pending, ct);
            RowGroups++;
            _pending = new List<FaceRow>(_size);
        }

        public ValueTask DisposeAsync() => _writer.DisposeAsync();
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
        var rows = ImmutableArray.CreateBuilder<FaceRow>();
        await foreach (var group in ReadGroupsAsync(path, ct)) rows.AddRange(group);
        return rows.ToImmutable();
    }

    /// <summary>
    /// The table one row group at a time, in file order: a reader holds one group (2,048 faces, ~19 MB)
    /// however many rows the file has. The whole-table <see cref="ReadAsync"/> is this, gathered.
    /// </summary>
    public static async IAsyncEnumerable<ImmutableArray<FaceRow>> ReadGroupsAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        var fields = reader.Schema.GetDataFields();
        var tagFields = TagFields(fields);
        var coordFields = Keypoints.Columns.Select(c => fields.FirstOrDefault(f => f.Name == c)).ToArray();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var n = (int)rg.RowCount;
            var ids = new long[n]; await rg.ReadAsync(Find(fields, "id"), ids.AsMemory(), null, ct);
            var lines = new int[n]; await rg.ReadAsync(Find(fields, "line"), lines.AsMemory(), null, ct);
            var hashes = await RequiredColumns.ReadStringsAsync(rg, Find(fields, "image_hash"), path, reader, g, ct);
            var images = await RequiredColumns.ReadBytesAsync(rg, Find(fields, "image"), path, reader, g, ct);
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
            var rows = ImmutableArray.CreateBuilder<FaceRow>(n);
            for (var i = 0; i < n; i++)
                rows.Add(new FaceRow(ids[i], lines[i], hashes[i], images[i], coords[i], tags[i]?.ToImmutable() ?? FaceRow.NoTags));
            yield return rows.MoveToImmutable();
        }
    }

    /// <summary>
    /// The tags some row of the file carries (a tag column with at least one value), in ordinal order:
    /// what <see cref="WriteAsync"/> would make columns of for these rows. Reads only the tag columns.
    /// </summary>
    public static async Task<ImmutableArray<string>> TagsAsync(string path, CancellationToken ct = default)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var tagFields = TagFields(reader.Schema.GetDataFields());
        for (var g = 0; g < reader.RowGroupCount && found.Count < tagFields.Length; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var n = (int)rg.RowCount;
            foreach (var tf in tagFields)
            {
                if (found.Contains(tf.Name)) continue;
                var col = new long?[n];
                await rg.ReadAsync(tf, col.AsMemory(), null, ct);
                if (col.Any(v => v.HasValue)) found.Add(tf.Name);
            }
        }
        return [.. found];
    }

    /// <summary>Rows in the file, from its footer (no data read).</summary>
    public static async Task<long> RowCountAsync(string path, CancellationToken ct = default)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        var total = 0L;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            total += rg.RowCount;
        }
        return total;
    }

    private static DataField[] TagFields(DataField[] fields) =>
        [.. fields.Where(f => f.Name is not ("id" or "line" or "image_hash" or "image") && !Keypoints.Columns.Contains(f.Name))];

    private static DataField Find(DataField[] fields, string name) =>
        fields.FirstOrDefault(f => f.Name == name) ?? throw new InvalidDataException($"face table lacks column '{name}'");
}
