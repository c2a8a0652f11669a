using Parquet;
using Parquet.Schema;

namespace Fkd.Flow.Store;

/// <summary>
/// Reads a row group's string or byte-array column that our writers never leave null (ids' hashes, images, names).
/// Parquet.Net reads such columns as nullable; a null found there means a damaged or foreign file, so it is an error
/// naming the file, column and row now rather than a NullReferenceException somewhere downstream.
/// </summary>
public static class RequiredColumns
{
    public static async Task<string[]> ReadStringsAsync(
        ParquetRowGroupReader group, DataField field, string path, long firstRow, CancellationToken ct = default)
    {
        var values = new string?[group.RowCount];
        await group.ReadAsync(field, values.AsMemory(), null, ct);
        return NonNull(values, field, path, firstRow);
    }

    public static async Task<byte[][]> ReadBytesAsync(
        ParquetRowGroupReader group, DataField field, string path, long firstRow, CancellationToken ct = default)
    {
        var values = new byte[]?[group.RowCount];
        await group.ReadAsync(field, values.AsMemory(), null, ct);
        return NonNull(values, field, path, firstRow);
    }

    /// <summary>
    /// The values as non-null, or an error naming the first null by its row in the file (0-based): the row group's
    /// first row is <paramref name="firstRow"/>, which the caller counts as it reads the groups in order.
    /// </summary>
    public static T[] NonNull<T>(T?[] values, DataField field, string path, long firstRow) where T : class
    {
        var i = Array.IndexOf(values, null);
        if (i >= 0)
            throw new InvalidDataException($"{path}: column '{field.Name}' is null at row {firstRow + i} (0-based); expected a value in every row");
        return values!;
    }
}
