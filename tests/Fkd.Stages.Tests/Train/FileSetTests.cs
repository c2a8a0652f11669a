using Fkd.Stages.Faces;
using Fkd.Stages.Tests.Faces;
using Fkd.Stages.Torch;
using Fkd.Stages.Train;

namespace Fkd.Stages.Tests.Train;

public sealed class FileSetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-fileset-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData(13, 4, TrainTargets.Masked, -1)]
    [InlineData(13, 4, TrainTargets.Four, 2)]   // rows of fold 2 held out
    [InlineData(9, 3, TrainTargets.Full, -1)]
    public async Task A_set_streamed_to_its_pixel_file_holds_what_the_in_memory_set_holds(int n, int group, TrainTargets targets, int fold)
    {
        var rows = FaceTableStreamTests.Rows(n, seed: 3);
        var table = Path.Combine(_dir, "t.parquet");
        await FaceTable.WriteAsync(table, rows, new Dictionary<string, string>(), rowGroupSize: group);
        var memory = TrainingData.ToSet(TrainingData.Select(TrainingData.HoldOut(rows, fold), targets), targets);

        var fileSet = await TrainingData.ToFileSetAsync(table, targets, fold, Path.Combine(_dir, "px.bin"), CancellationToken.None);
        using var file = fileSet.File!;
        Assert.Equal(memory.Count, fileSet.Count);
        Assert.Equal(memory.Targets, fileSet.Targets);
        fileSet.Validate();
        var a = new byte[TrainingSet.PixelsPerImage];
        var b = new byte[TrainingSet.PixelsPerImage];
        for (var i = 0; i < memory.Count; i++)
        {
            memory.CopyImage(i, a);
            fileSet.CopyImage(i, b);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public async Task Holding_out_a_fold_of_an_untagged_table_is_an_error()
    {
        var rows = FaceTableStreamTests.Rows(4).Select(r => r with { Tags = FaceRow.NoTags }).ToList();
        var table = Path.Combine(_dir, "t.parquet");
        await FaceTable.WriteAsync(table, rows, new Dictionary<string, string>());
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => TrainingData.ToFileSetAsync(table, TrainTargets.Masked, 1, Path.Combine(_dir, "px.bin"), CancellationToken.None));
        Assert.Contains("fold", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "px.bin")), "the half-made pixel file is removed");
    }

    [Theory]
    [InlineData(100, 16)]
    [InlineData(37, 64)]
    public void Each_epoch_the_feed_visits_every_image_of_the_pixel_file_once_in_the_seeds_order(int count, int batch)
    {
        var path = Path.Combine(_dir, $"n{count}.bin");
        using (var w = new PixelFile.Writer(path))
            for (var i = 0; i < count; i++) w.Add(Enumerable.Repeat((byte)(i % 251), TrainingSet.PixelsPerImage).ToArray());
        using var file = PixelFile.Open(path);
        var set = TrainingSet.FromFile(file, [.. Enumerable.Range(0, count).Select(i => (float)i)]);

        List<int> Epoch(long seed, int epoch)
        {
            var order = Trainer.EpochOrder(count, seed, epoch);
            var seen = new List<int>();
            using var feed = BatchFeed.Start(set, order, batch, prefetch: 2);
            while (feed.Next() is { } b)
            {
                for (var i = 0; i < b.Count; i++)
                {
                    var id = (int)b.Targets[i];
                    Assert.Equal((id % 251) * (1f / 255f), b.Pixels[i * TrainingSet.PixelsPerImage + 4321]); // the image that goes with the target
                    seen.Add(id);
                }
                feed.Return(b);
            }
            Assert.Equal(order, seen);
            return seen;
        }

        var first = Epoch(seed: 1, epoch: 1);
        Assert.Equal(Enumerable.Range(0, count), first.Order());
        Assert.Equal(first, Epoch(seed: 1, epoch: 1));
        Assert.NotEqual(first, Epoch(seed: 1, epoch: 2));
        Assert.NotEqual(first, Epoch(seed: 2, epoch: 1));
    }

    [Fact]
    public void A_pixel_file_that_is_not_whole_images_is_refused()
    {
        var path = Path.Combine(_dir, "bad.bin");
        File.WriteAllBytes(path, new byte[TrainingSet.PixelsPerImage + 5]);
        var e = Assert.Throws<InvalidDataException>(() => PixelFile.Open(path));
        Assert.Contains("not a whole number", e.Message);
    }
}
