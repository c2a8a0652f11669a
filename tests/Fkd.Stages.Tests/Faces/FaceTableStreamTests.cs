using System.Collections.Immutable;
using Fkd.Stages.Faces;
using Fkd.Stages.Source;

namespace Fkd.Stages.Tests.Faces;

public sealed class FaceTableStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-facestream-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    internal static ImmutableArray<FaceRow> Rows(int n, int seed = 5)
    {
        if (n == 0) return [];
        var faces = SyntheticFaces.Generate(new(TrainRows: Math.Max(n, 100), TestRows: 1, Seed: seed)).Train;
        return [.. faces.Take(n).Select((f, i) => new FaceRow(i, i + 2, ImageHash.HexOf(f.Pixels), f.Pixels, f.Coords,
            i % 3 == 0 ? FaceRow.NoTags : FaceRow.NoTags.SetItem("fold", i % 5)))];
    }

    [Theory]
    [InlineData(0, 4)]   // no rows: one empty row group
    [InlineData(1, 4)]
    [InlineData(8, 4)]   // a whole number of groups: no empty one after
    [InlineData(11, 4)]  // a short last group
    public async Task The_row_writer_writes_the_bytes_of_the_whole_table_writer_and_reads_back_group_by_group(int n, int size)
    {
        var rows = Rows(n);
        var meta = new Dictionary<string, string> { ["fkd.stage"] = "t" };
        var whole = Path.Combine(_dir, "whole.parquet");
        var streamed = Path.Combine(_dir, "streamed.parquet");
        await FaceTable.WriteAsync(whole, rows, meta, rowGroupSize: size);
        var tags = rows.SelectMany(r => r.Tags.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        await using (var w = await FaceTable.RowWriter.CreateAsync(streamed, tags, meta, CancellationToken.None, size))
        {
            foreach (var r in rows) await w.AddAsync(r, CancellationToken.None);
            Assert.True(w.Pending <= size);
            await w.CompleteAsync(CancellationToken.None);
            Assert.Equal(Math.Max(1, (n + size - 1) / size), w.RowGroups);
        }
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(streamed));

        var groups = new List<ImmutableArray<FaceRow>>();
        await foreach (var g in FaceTable.ReadGroupsAsync(streamed)) groups.Add(g);
        Assert.Equal(n == 0 ? [0] : Enumerable.Range(0, (n + size - 1) / size).Select(g => Math.Min(size, n - g * size)), groups.Select(g => g.Length));
        var back = groups.SelectMany(g => g).ToList();
        Assert.Equal(rows.Select(r => (r.Id, r.Hash, string.Join(',', r.Tags))), back.Select(r => (r.Id, r.Hash, string.Join(',', r.Tags))));
        Assert.Equal(n, await FaceTable.RowCountAsync(streamed));
        Assert.Equal(n > 1 ? ["fold"] : Array.Empty<string>(), (await FaceTable.TagsAsync(streamed)).ToArray());
    }
}
