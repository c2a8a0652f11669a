using Fkd.Flow.Store;
using Parquet;
using Parquet.Schema;

namespace Fkd.Flow.Tests.Store;

public sealed class RequiredColumnsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One row group: a string column and a byte-array column, both nullable in the file's schema.</summary>
    private async Task<string> Write(string?[] names, byte[]?[] blobs)
    {
        var path = _dir.File("t.parquet");
        var nameField = new DataField<string>("name");
        var blobField = new DataField<byte[]>("blob");
        await using (var fs = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(nameField, blobField), fs))
        using (var rg = writer.CreateRowGroup())
        {
            await rg.WriteAsync(nameField, names);
            await rg.WriteAsync(blobField, blobs);
        }
        return path;
    }

    private static async Task<(string[] Names, byte[][] Blobs)> Read(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        using var rg = reader.OpenRowGroupReader(0);
        return (await RequiredColumns.ReadStringsAsync(rg, fields[0], path),
                await RequiredColumns.ReadBytesAsync(rg, fields[1], path));
    }

    [Fact]
    public async Task Every_value_present_reads_back_as_written()
    {
        var path = await Write(["a", "", "c"], [[1], [], [2, 3]]);
        var (names, blobs) = await Read(path);
        Assert.Equal(["a", "", "c"], names);
        Assert.Equal([[1], [], [2, 3]], blobs);
    }

    [Theory]
    [InlineData(1, -1, "column 'name' is null at row 1")]
    [InlineData(-1, 2, "column 'blob' is null at row 2")]
    public async Task A_null_is_an_error_naming_the_file_column_and_row(int nullName, int nullBlob, string expected)
    {
        string?[] names = ["a", "b", "c"];
        byte[]?[] blobs = [[1], [2], [3]];
        if (nullName >= 0) names[nullName] = null;
        if (nullBlob >= 0) blobs[nullBlob] = null;
        var path = await Write(names, blobs);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Read(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
