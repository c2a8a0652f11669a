using System.Buffers.Binary;
using Fkd.Cli.Bench;
using Fkd.Stages.Faces;
using Fkd.Stages.Torch;
using Fkd.Stages.Train;

namespace Fkd.Cli.Tests.Bench;

/// <summary>The raw files bench accuracy hands its peer: what goes in comes back, in the layout the peer reads.</summary>
public sealed class PeerDataTests
{
    private static FaceRow Row(long id, byte grey, float first, bool partial)
    {
        var pixels = new byte[Keypoints.PixelCount];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)(grey + i % 7);
        var coords = new float[Keypoints.CoordCount];
        for (var c = 0; c < coords.Length; c++) coords[c] = partial && c > 3 ? float.NaN : first + c;
        return new FaceRow(id, (int)id + 2, ImageHash.HexOf(pixels), pixels, coords, FaceRow.NoTags);
    }

    private static readonly FaceRow[] Rows = [Row(0, 10, 20.5f, false), Row(1, 200, 30.25f, true), Row(2, 0, 47.75f, false)];

    private static void SameSet(TrainingSet expected, TrainingSet actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        var image = new byte[TrainingSet.PixelsPerImage];
        var all = new byte[expected.Count * TrainingSet.PixelsPerImage];
        for (var i = 0; i < expected.Count; i++)
        {
            expected.CopyImage(i, image);
            image.CopyTo(all, i * TrainingSet.PixelsPerImage);
        }
        Assert.Equal(all, actual.Pixels);
        // Bit for bit, NaNs included.
        Assert.Equal(expected.Targets.Select(BitConverter.SingleToInt32Bits), actual.Targets.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void A_set_written_reads_back_the_same()
    {
        using var dir = new TempDir();
        var set = TrainingData.ToSet(Rows, TrainTargets.Masked);
        var written = PeerData.Write(set, dir.Path, "val");

        Assert.Equal(new PeerData.Written("val", 3), written);
        SameSet(set, PeerData.Read(dir.Path, "val", Keypoints.CoordCount));
    }

    [Fact]
    public void The_files_are_raw_bytes_and_little_endian_normalised_floats()
    {
        using var dir = new TempDir();
        PeerData.Write(TrainingData.ToSet(Rows, TrainTargets.Masked), dir.Path, "holdout");

        var pixels = File.ReadAllBytes(dir.File("holdout.pixels"));
        var targets = File.ReadAllBytes(dir.File("holdout.targets"));
        Assert.Equal(3 * 9216, pixels.Length);
        Assert.Equal(3 * 30 * 4, targets.Length);
        Assert.Equal(Rows[1].Pixels, pixels.AsSpan(9216, 9216).ToArray());
        // Row 1, coordinate 0: (30.25 - 48) / 48; coordinate 4 is missing.
        Assert.Equal((30.25f - 48f) / 48f, BinaryPrimitives.ReadSingleLittleEndian(targets.AsSpan((30 + 0) * 4)));
        Assert.True(float.IsNaN(BinaryPrimitives.ReadSingleLittleEndian(targets.AsSpan((30 + 4) * 4))));
    }

    [Fact]
    public async Task A_table_is_written_as_the_train_stage_makes_its_set()
    {
        using var dir = new TempDir();
        // A row without any label: the train stage leaves it out, so must the export.
        var unlabelled = Row(3, 99, 0, false) with { Coords = Enumerable.Repeat(float.NaN, Keypoints.CoordCount).ToArray() };
        var table = dir.File("faces.parquet");
        await FaceTable.WriteAsync(table, [.. Rows, unlabelled], new Dictionary<string, string>());

        var written = await PeerData.WriteTableAsync(table, new TrainParams(), dir.Path, "train", CancellationToken.None);

        Assert.Equal(3, written.Rows);
        SameSet(TrainingData.ToSet(TrainingData.Select(Rows, TrainTargets.Masked), TrainTargets.Masked), PeerData.Read(dir.Path, "train", Keypoints.CoordCount));
    }

    [Fact]
    public void Reading_a_cut_file_fails()
    {
        using var dir = new TempDir();
        PeerData.Write(TrainingData.ToSet(Rows, TrainTargets.Masked), dir.Path, "val");
        File.WriteAllBytes(dir.File("val.targets"), File.ReadAllBytes(dir.File("val.targets"))[..100]);
        Assert.Throws<InvalidDataException>(() => PeerData.Read(dir.Path, "val", Keypoints.CoordCount));
    }

    [Fact]
    public void The_meta_names_every_set_and_carries_the_recipe()
    {
        var meta = PeerData.Meta([new("train", 5), new("val", 2)], 30, [1, 0, 2], new() { ["epochs"] = 3 });
        Assert.Equal(PeerData.Format, meta["format"]!.GetValue<string>());
        Assert.Equal(5, meta["sets"]!["train"]!["rows"]!.GetValue<int>());
        Assert.Equal("val.pixels", meta["sets"]!["val"]!["pixels"]!.GetValue<string>());
        Assert.Equal("val.targets", meta["sets"]!["val"]!["targets"]!.GetValue<string>());
        Assert.Equal(95, meta["mirror_x"]!.GetValue<int>());
        Assert.Equal(48, meta["centre"]!.GetValue<double>());
        Assert.Equal([1, 0, 2], meta["flip_map"]!.AsArray().Select(x => x!.GetValue<int>()));
        Assert.Equal(3, meta["recipe"]!["epochs"]!.GetValue<int>());
        Assert.Null(PeerData.Meta([], 30, null, [])["flip_map"]);
    }
}
