using Parquet;
using Parquet.Schema;

namespace Fkd.Flow.Store;

/// <summary>
/// Reads a row group's string or byte-array column that our writers never leave null (ids' hashes, images, names).
/// Parquet.Net reads such columns as nullable; a null found there means a damaged or foreign file, so it is an error
/// naming the file, column and row now rather than a NullReferenceException somewhere downstream. <c>rows</c> is row
/// group <c>group</c> of <c>file</c>, open; the two are passed so that an error can name the row in the file.
/// </summary>
public static class RequiredColumns
{
    public static async Task<string[]> ReadStringsAsync(
        ParquetRowGroupReader rows, DataField field, string path, ParquetReader file, int group, CancellationToken ct = default)
    {
        var values = new string?[rows.RowCount];
        await rows.ReadAsync(field, values.AsMemory(), null, ct);
        return NonNull(values, field, path, file, group);
    }

    public static async Task<byte[][]> ReadBytesAsync(
        ParquetRowGroupReader rows, DataField field, string path, ParquetReader file, int group, CancellationToken ct = default)
    {
        var values = new byte[]?[rows.RowCount];
        await rows.ReadAsync(field, values.AsMemory(), null, ct);
        return NonNull(values, field, path, file, group);
    }

    /// <summary>
    /// The values as non-null, or an error naming the first null by its row in the file (0-based), counted from the
    /// sizes of the row groups before this one in the file's footer (only when there is an error to report).
    /// </summary>
    private static T[] NonNull<T>(T?[] values, DataField field, string path, ParquetReader file, int group) where T : class
    {
        var i = Array.IndexOf(values, null);
        if (i >= 0)
        {
            var firstRow = file.Metadata!.RowGroups.Take(group).Sum(g => g.NumRows);
            throw new InvalidDataException($"{path}: column '{field.Name}' is null at row {firstRow + i} (0-based); expected a value in every row");
        }
        return values!;
    }
}
