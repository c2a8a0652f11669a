using Parquet;
using Parquet.Schema;

namespace Fkd.Stages.Faces;

/// <summary>One column of a small report table: its Parquet field and how to write its values.</summary>
public sealed class TableColumn
{
    public DataField Field { get; }
    private readonly Func<ParquetRowGroupWriter, CancellationToken, Task> _write;

    private TableColumn(DataField field, Func<ParquetRowGroupWriter, CancellationToken, Task> write) { Field = field; _write = write; }

    internal Task WriteAsync(ParquetRowGroupWriter rg, CancellationToken ct) => _write(rg, ct);

    public static TableColumn Of(string name, string[] values) { var f = new DataField<string>(name); return new(f, (rg, _) => rg.WriteAsync(f, values)); }
    public static TableColumn Of(string name, int[] values) { var f = new DataField<int>(name); return new(f, (rg, ct) => rg.WriteAsync<int>(f, (ReadOnlyMemory<int>)values, null, null, ct)); }
    public static TableColumn Of(string name, long[] values) { var f = new DataField<long>(name); return new(f, (rg, ct) => rg.WriteAsync<long>(f, (ReadOnlyMemory<long>)values, null, null, ct)); }
    public static TableColumn Of(string name, bool[] values) { var f = new DataField<bool>(name); return new(f, (rg, ct) => rg.WriteAsync<bool>(f, (ReadOnlyMemory<bool>)values, null, null, ct)); }
    public static TableColumn Of(string name, double[] values) { var f = new DataField<double>(name); return new(f, (rg, ct) => rg.WriteAsync<double>(f, (ReadOnlyMemory<double>)values, null, null, ct)); }
    public static TableColumn Of(string name, double?[] values) { var f = new DataField<double?>(name); return new(f, (rg, ct) => rg.WriteAsync<double>(f, (ReadOnlyMemory<double?>)values, null, null, ct)); }
}

/// <summary>
/// Small tables (metrics, RMSE, quarantine, review) written in one row group, with the same
/// explicit compression and key-value metadata as face tables.
/// </summary>
public static class SmallTable
{
    public static async Task WriteAsync(string path, IReadOnlyDictionary<string, string> metadata, CancellationToken ct, params TableColumn[] columns)
    {
        await using var fs = File.Create(path);
        await using var w = await ParquetWriter.CreateAsync(new ParquetSchema(columns.Select(c => (Field)c.Field).ToArray()), fs, FaceTable.WriteOptions, cancellationToken: ct);
        w.CustomMetadata = metadata.ToDictionary();
        using var rg = w.CreateRowGroup();
        foreach (var c in columns) await c.WriteAsync(rg, ct);
    }
}
