using Fkd.Flow.Store;
using Parquet;
using Parquet.Schema;

namespace Fkd.Flow.Tests.Store;

public sealed class RequiredColumnsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// A string column and a byte-array column, both nullable in the file's schema, written as row groups of
    /// <paramref name="groupSize"/> rows.
    /// </summary>
    private async Task<string> Write(string?[] names, byte[]?[] blobs, int groupSize)
    {
        var path = _dir.File("t.parquet");
        var nameField = new DataField<string>("name");
        var blobField = new DataField<byte[]>("blob");
        await using var fs = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(nameField, blobField), fs);
        for (var at = 0; at < names.Length; at += groupSize)
        {
            using var rg = writer.CreateRowGroup();
            await rg.WriteAsync(nameField, names.Skip(at).Take(groupSize).ToArray());
            await rg.WriteAsync(blobField, blobs.Skip(at).Take(groupSize).ToArray());
        }
        return path;
    }

    /// <summary>Every row group in order, as the stores' readers do.</summary>
    private static async Task<(string[] Names, byte[][] Blobs)> Read(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        var (names, blobs) = (new List<string>(), new List<byte[]>());
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            names.AddRange(await RequiredColumns.ReadStringsAsync(rg, fields[0], path, reader, g));
            blobs.AddRange(await RequiredColumns.ReadBytesAsync(rg, fields[1], path, reader, g));
        }
        return ([.. names], [.. blobs]);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(2)]
    public async Task Every_value_present_reads_back_as_written(int groupSize)
    {
        var path = await Write(["a", "", "c", "d"], [[1], [], [2, 3], [4]], groupSize);
        var (names, blobs) = await Read(path);
        Assert.Equal(["a", "", "c", "d"], names);
        Assert.Equal([[1], [], [2, 3], [4]], blobs);
    }

    [Theory]
    [InlineData(5, 1, -1, "column 'name' is null at row 1 (0-based)")]
    [InlineData(5, -1, 2, "column 'blob' is null at row 2 (0-based)")]
    [InlineData(2, 3, -1, "column 'name' is null at row 3 (0-based)")] // the second row group's second row
    [InlineData(2, -1, 2, "column 'blob' is null at row 2 (0-based)")] // the second row group's first row
    public async Task A_null_is_an_error_naming_the_file_column_and_row(int groupSize, int nullName, int nullBlob, string expected)
    {
        string?[] names = ["a", "b", "c", "d"];
        byte[]?[] blobs = [[1], [2], [3], [4]];
        if (nullName >= 0) names[nullName] = null;
        if (nullBlob >= 0) blobs[nullBlob] = null;
        var path = await Write(names, blobs, groupSize);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Read(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
