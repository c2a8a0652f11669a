using System.Collections.Immutable;
using Fkd.Stages.Faces;

namespace Fkd.Stages.Tests.FaceTables;

public sealed class FaceTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-facetable-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Several_row_groups_of_distinct_faces_read_back_exactly()
    {
        // More rows than one row group of real-looking (compressible) faces: a codec that garbles large
        // pages fails here. Parquet.Net 6.1's Snappy did when two parse stages wrote at once in a full run
        // (this test did not reproduce that race). Random bytes would not show such faults (stored raw).
        var faces = Fkd.Stages.Synthetic.SyntheticFaces.Generate(new(TrainRows: FaceTable.RowGroupSize + 300, TestRows: 1)).Train;
        var rows = faces.Select((f, i) =>
        {
            var tags = i % 2 == 0 ? FaceRow.NoTags : FaceRow.NoTags.SetItem("fold", i % 5);
            return new FaceRow(i, i + 2, ImageHash.HexOf(f.Pixels), f.Pixels, f.Coords, tags);
        }).ToImmutableArray();
        // Written twice at once, as concurrent stages do: the codec must not share state between writers.
        var path = Path.Combine(_dir, "faces.parquet");
        await Task.WhenAll(
            Task.Run(() => FaceTable.WriteAsync(path, rows, new Dictionary<string, string> { ["fkd.stage"] = "test" })),
            Task.Run(() => FaceTable.WriteAsync(Path.Combine(_dir, "other.parquet"), [.. rows.Reverse()], new Dictionary<string, string>())));

        var back = await FaceTable.ReadAsync(path);
        Assert.Equal(rows.Length, back.Length);
        Assert.Equal(rows.Select(r => r.Hash).Distinct().Count(), back.Select(r => r.Hash).Distinct().Count());
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.Equal(rows[i].Id, back[i].Id);
            Assert.Equal(rows[i].Line, back[i].Line);
            Assert.Equal(rows[i].Hash, back[i].Hash);
            Assert.Equal(ImageHash.HexOf(back[i].Pixels), back[i].Hash);
            Assert.Equal(rows[i].Coords, back[i].Coords);
            Assert.Equal(rows[i].Tags, back[i].Tags);
        }
    }
}
