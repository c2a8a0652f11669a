using System.Collections.Immutable;
using Fkd.Stages.Faces;
using Fkd.Stages.Source;
using Parquet;
using Parquet.Schema;

namespace Fkd.Stages.Tests.Faces;

public sealed class FaceTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-facetable-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Several_row_groups_of_distinct_faces_read_back_exactly()
    {
        // More rows than one row group of real-looking (compressible) faces; random bytes would be
        // stored raw and hide codec faults.
        var faces = SyntheticFaces.Generate(new(TrainRows: FaceTable.RowGroupSize + 300, TestRows: 1)).Train;
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

    [Fact]
    public async Task Writers_running_at_once_do_not_garble_each_other()
    {
        // Concurrent stages write face tables at the same moment. Column definitions shared between
        // writers once made two parse stages running together produce a table whose image hashes all
        // read back alike (3 of 5 full runs). This test did not reproduce that race; it guards the
        // round trip under concurrency, the full-run figure is in the commit that fixed it.
        var faces = SyntheticFaces.Generate(new(TrainRows: 400, TestRows: 1, DuplicateGroups: 0, WrongLabels: 0, BlankImages: 0)).Train;
        var rows = faces.Select((f, i) => new FaceRow(i, i + 2, ImageHash.HexOf(f.Pixels), f.Pixels, f.Coords, FaceRow.NoTags)).ToArray();
        for (var round = 0; round < 5; round++)
        {
            var paths = Enumerable.Range(0, 6).Select(k => Path.Combine(_dir, $"t{round}-{k}.parquet")).ToArray();
            // Each writer gets different rows, so one writer's values leaking into another's file shows.
            var mine = paths.Select((_, k) => rows.Skip(k * 37).Concat(rows.Take(k * 37)).Take(300 - k * 20).ToArray()).ToArray();
            await Task.WhenAll(paths.Select((p, k) => Task.Run(async () =>
            {
                await using var w = await FaceTable.Writer.CreateAsync(p, [], new Dictionary<string, string>(), default);
                for (var start = 0; start < mine[k].Length; start += 50)
                    await w.WriteRowGroupAsync(mine[k].Skip(start).Take(50).ToArray(), default);
            })));
            for (var k = 0; k < paths.Length; k++)
            {
                var back = await FaceTable.ReadAsync(paths[k]);
                Assert.Equal(mine[k].Select(r => r.Hash), back.Select(r => r.Hash));
                Assert.All(back, r => Assert.Equal(ImageHash.HexOf(r.Pixels), r.Hash));
            }
        }
    }

    [Fact]
    public async Task A_missing_image_hash_is_an_error_naming_the_file_column_and_row()
    {
        // The columns FaceTable writes, in two row groups of two rows, the fourth row's hash null: a damaged or
        // foreign file (ours always writes a hash), reported by its row in the file, not its row group.
        var path = Path.Combine(_dir, "damaged.parquet");
        var (id, line, hash, image) = (new DataField<long>("id"), new DataField<int>("line"),
            new DataField<string>("image_hash"), new DataField<byte[]>("image"));
        await using (var fs = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(id, line, hash, image), fs))
            foreach (var rows in new[] { new[] { 0, 1 }, new[] { 2, 3 } })
            {
                using var rg = writer.CreateRowGroup();
                await rg.WriteAsync<long>(id, (ReadOnlyMemory<long>)rows.Select(r => (long)r).ToArray(), null, null, default);
                await rg.WriteAsync<int>(line, (ReadOnlyMemory<int>)rows.Select(r => r + 2).ToArray(), null, null, default);
                await rg.WriteAsync(hash, rows.Select(r => r == 3 ? null : $"h{r}").ToArray());
                await rg.WriteAsync(image, rows.Select(r => new byte[] { (byte)r }).ToArray());
            }
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => FaceTable.ReadAsync(path));
        Assert.Equal($"{path}: column 'image_hash' is null at row 3 (0-based); expected a value in every row", error.Message);
    }
}
