using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Fkd.Stages.Faces;
using Fkd.Stages.Source;

namespace Fkd.Stages.Tests.Source;

public class SyntheticFacesTests
{
    // Small but with every trait present; generated once for the whole class.
    internal static readonly SyntheticOptions Small = new(
        TrainRows: 240, TestRows: 31, Seed: 7, PartialFraction: 0.6, DuplicateGroups: 9, WrongLabels: 6, BlankImages: 3);

    private static readonly Lazy<SyntheticDataset> Data = new(() => SyntheticFaces.Generate(Small));
    private static SyntheticDataset D => Data.Value;

    internal static byte[] Bytes(Action<Stream> write)
    {
        var ms = new MemoryStream();
        write(ms);
        return ms.ToArray();
    }

    private static byte[] AllCsv(SyntheticDataset d) =>
    [
        .. Bytes(s => KaggleCsvWriter.WriteTraining(s, d.Train)),
        .. Bytes(s => KaggleCsvWriter.WriteTest(s, d.Test)),
        .. Bytes(s => KaggleCsvWriter.WriteLookup(s, d.Lookup)),
        .. Encoding.UTF8.GetBytes(SyntheticFixes.DropCsv(d) + SyntheticFixes.FixesCsv(d)),
    ];

    [Fact]
    public void Same_options_give_the_same_bytes_whatever_the_thread_count()
    {
        var tiny = Small with { TrainRows = 70, TestRows = 6, DuplicateGroups = 3, WrongLabels = 3, BlankImages = 1 };
        var a = AllCsv(SyntheticFaces.Generate(tiny));
        var b = AllCsv(SyntheticFaces.Generate(tiny with { MaxDegreeOfParallelism = 1 }));
        var c = AllCsv(SyntheticFaces.Generate(tiny with { MaxDegreeOfParallelism = 3 }));
        Assert.Equal(a, b);
        Assert.Equal(a, c);
    }

    [Fact]
    public void A_different_seed_gives_different_data()
    {
        var other = SyntheticFaces.Generate(Small with { Seed = 8, TrainRows = 60, TestRows = 4, DuplicateGroups = 2, WrongLabels = 1, BlankImages = 1 });
        var same = SyntheticFaces.Generate(Small with { TrainRows = 60, TestRows = 4, DuplicateGroups = 2, WrongLabels = 1, BlankImages = 1 });
        Assert.NotEqual(Bytes(s => KaggleCsvWriter.WriteTraining(s, other.Train)), Bytes(s => KaggleCsvWriter.WriteTraining(s, same.Train)));
        Assert.NotEqual(Bytes(s => KaggleCsvWriter.WriteTest(s, other.Test)), Bytes(s => KaggleCsvWriter.WriteTest(s, same.Test)));
    }

    [Fact]
    public void Planted_counts_equal_the_options()
    {
        var p = D.Planted;
        Assert.Equal(Small.TrainRows, D.Train.Length);
        Assert.Equal(Small.TestRows, D.Test.Length);
        Assert.Equal(Small.PartialRowCount, p.PartialCount);
        Assert.Equal((int)Math.Round(0.6 * 240), p.PartialCount);
        Assert.Equal(Small.DuplicateGroups, p.DuplicateGroupCount);
        Assert.All(p.DuplicateGroups, g => Assert.InRange(g.Length, 2, 3));
        Assert.Equal(Small.WrongLabels, p.WrongLabelRowCount);
        Assert.Equal(Small.BlankImages, p.BlankCount);
        Assert.Equal(Small.TrainRows, p.TrainTruth.Length);
        Assert.Equal(Small.TestRows, p.TestTruth.Length);
        Assert.Equal(Small.TestRows, D.TestTruth.Length);

        // Wrong, blank and duplicate rows are distinct rows.
        var dupRows = p.DuplicateGroups.SelectMany(g => g).ToList();
        var all = dupRows.Concat(p.WrongLabelRows).Concat(p.BlankRows).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Empty(p.PartialRows.Intersect(p.WrongLabelRows.Concat(p.BlankRows)));
    }

    [Fact]
    public void Defaults_plant_the_requested_traits()
    {
        var o = new SyntheticOptions();
        Assert.Equal(1400, o.PartialRowCount);
        // The plan (not the pictures) is cheap to check on a tiny run with default trait counts.
        var d = SyntheticFaces.Generate(o with { TrainRows = 120, TestRows = 2 });
        Assert.Equal(84, d.Planted.PartialCount);
        Assert.Equal(20, d.Planted.DuplicateGroupCount);
        Assert.Equal(5, d.Planted.WrongLabelRowCount);
        Assert.Equal(2, d.Planted.BlankCount);
    }

    [Fact]
    public void Ids_are_row_indices_and_image_ids()
    {
        Assert.Equal(Enumerable.Range(0, Small.TrainRows).Select(i => (long)i), D.Train.Select(f => f.Id));
        Assert.Equal(Enumerable.Range(1, Small.TestRows).Select(i => (long)i), D.Test.Select(f => f.Id));
        Assert.All(D.Test, f => Assert.All(f.Coords, c => Assert.True(float.IsNaN(c))));
        Assert.All(D.Train.Concat(D.Test), f => Assert.Equal(Keypoints.PixelCount, f.Pixels.Length));
    }

    [Fact]
    public void Partial_rows_have_exactly_the_eight_subset_coordinates()
    {
        var partial = D.Planted.PartialRows.ToHashSet();
        var subset = Keypoints.FourKeypointSubset.SelectMany(k => new[] { 2 * k, 2 * k + 1 }).ToHashSet();
        foreach (var f in D.Train)
        {
            var present = Enumerable.Range(0, 30).Where(c => !float.IsNaN(f.Coords[c])).ToHashSet();
            if (partial.Contains((int)f.Id))
            {
                Assert.Equal(8, present.Count);
                Assert.True(present.SetEquals(subset));
                Assert.Equal(4, f.LabelledKeypoints);
            }
            else Assert.True(f.HasAll, $"row {f.Id} should be fully labelled");
        }
    }

    [Fact]
    public void All_coordinates_are_inside_the_image()
    {
        static void Check(float[] c)
        {
            foreach (var v in c)
                if (!float.IsNaN(v)) Assert.InRange(v, 0f, 95.999f);
        }
        foreach (var f in D.Train) Check(f.Coords);
        foreach (var t in D.Planted.TrainTruth) { Assert.DoesNotContain(t, float.IsNaN); Check(t); }
        foreach (var t in D.TestTruth) { Assert.DoesNotContain(t, float.IsNaN); Check(t); }
    }

    [Fact]
    public void Left_keypoints_lie_at_larger_x_in_upright_faces()
    {
        // Rotation is at most 15°, so the subject's left eye is always to the image's right.
        foreach (var t in D.Planted.TrainTruth.Concat(D.TestTruth))
        {
            Assert.True(t[0] > t[2], "left eye centre x > right eye centre x");
            Assert.True(t[22] > t[24], "mouth left corner x > right corner x");
            Assert.True(t[29] > t[27], "bottom lip below top lip");
            Assert.True(t[21] > t[1], "nose below the eyes");
        }
    }

    [Fact]
    public void Duplicate_images_are_byte_identical_with_labels_jittered_about_a_pixel()
    {
        foreach (var g in D.Planted.DuplicateGroups)
        {
            var first = D.Train[g[0]];
            var truth = D.Planted.TrainTruth[g[0]];
            foreach (var r in g.Skip(1))
            {
                Assert.Equal(first.Pixels, D.Train[r].Pixels);
                for (var c = 0; c < 30; c++)
                    if (!float.IsNaN(D.Train[r].Coords[c]))
                        Assert.InRange(Math.Abs(D.Train[r].Coords[c] - truth[c]), 0f, 1.0001f);
            }
        }
        // No other row shares an image: distinct hashes = rows - (duplicate rows - groups).
        var distinct = D.Train.Select(f => ImageHash.Of(f.Pixels)).Distinct().Count();
        Assert.Equal(D.Train.Length - (D.Planted.DuplicateRowCount - D.Planted.DuplicateGroupCount), distinct);
    }

    [Fact]
    public void Blank_images_are_one_constant_level_with_labels()
    {
        var levels = new HashSet<byte>();
        foreach (var r in D.Planted.BlankRows)
        {
            var px = D.Train[r].Pixels;
            Assert.All(px, b => Assert.Equal(px[0], b));
            Assert.True(levels.Add(px[0]), "each blank image has its own level");
            Assert.True(D.Train[r].HasAll);
        }
        // Real faces are not constant.
        Assert.All(D.Train.Where(f => !D.Planted.BlankRows.Contains((int)f.Id)), f => Assert.True(f.Pixels.Distinct().Count() > 20));
    }

    [Fact]
    public void Wrong_labels_are_far_from_the_truth_or_swapped_eyes()
    {
        foreach (var w in D.Planted.WrongLabels)
        {
            var c = D.Train[w.Row].Coords;
            Assert.Equal(w.GivenX, c[2 * w.Keypoint]);
            Assert.Equal(w.GivenY, c[2 * w.Keypoint + 1]);
            var t = D.Planted.TrainTruth[w.Row];
            Assert.Equal(t[2 * w.Keypoint], w.TrueX);
            Assert.Equal(t[2 * w.Keypoint + 1], w.TrueY);
            var dist = Math.Sqrt(Math.Pow(w.GivenX - w.TrueX, 2) + Math.Pow(w.GivenY - w.TrueY, 2));
            Assert.True(dist >= 14.99 || w.Reason.Contains("swapped"), $"row {w.Row}: moved only {dist:F1} px");
        }
        // Rows without a planted trait carry their true labels.
        var touched = D.Planted.DuplicateGroups.SelectMany(g => g.Skip(1)).Concat(D.Planted.WrongLabelRows).ToHashSet();
        foreach (var f in D.Train.Where(f => !touched.Contains((int)f.Id)))
            for (var c = 0; c < 30; c++)
                if (!float.IsNaN(f.Coords[c])) Assert.Equal(D.Planted.TrainTruth[(int)f.Id][c], f.Coords[c]);
    }

    [Fact]
    public void Lookup_asks_all_features_for_the_first_half_and_the_subset_for_the_rest()
    {
        var full = (Small.TestRows + 1) / 2;
        var subsetCols = Keypoints.FourKeypointSubset.SelectMany(k => new[] { Keypoints.Columns[2 * k], Keypoints.Columns[2 * k + 1] }).ToList();
        Assert.Equal(full * 30 + (Small.TestRows - full) * 8, D.Lookup.Length);
        Assert.Equal(Enumerable.Range(1, D.Lookup.Length), D.Lookup.Select(l => l.RowId));
        foreach (var g in D.Lookup.GroupBy(l => l.ImageId))
            Assert.Equal(g.Key <= full ? Keypoints.Columns.ToList() : subsetCols, g.Select(l => l.FeatureName).ToList());
        Assert.Equal(Enumerable.Range(1, Small.TestRows), D.Lookup.Select(l => l.ImageId).Distinct());
        Assert.Equal(Enumerable.Range(1, 5).SelectMany(i => i <= 3 ? Enumerable.Repeat(i, 30) : Enumerable.Repeat(i, 8)),
            SyntheticFaces.BuildLookup(5).Select(l => l.ImageId));
    }

    [Fact]
    public void Review_files_name_the_blank_images_and_the_true_coordinates_of_wrong_labels()
    {
        var drop = SyntheticFixes.DropCsv(D).Split('\n');
        Assert.Equal("image_hash,reason", drop[0]);
        Assert.Equal("", drop[^1]);
        Assert.Equal(D.Planted.BlankRows.Select(r => ImageHash.Hex(ImageHash.Of(D.Train[r].Pixels))), drop[1..^1].Select(l => l.Split(',')[0]));

        var fixes = SyntheticFixes.FixesCsv(D).Split('\n');
        Assert.Equal("image_hash,keypoint,x,y,reason", fixes[0]);
        var rows = fixes[1..^1].Select(l => l.Split(',')).ToList();
        Assert.Equal(D.Planted.WrongLabels.Length, rows.Count);
        foreach (var (w, f) in D.Planted.WrongLabels.Zip(rows))
        {
            Assert.Equal(5, f.Length);
            Assert.Equal(ImageHash.Hex(ImageHash.Of(D.Train[w.Row].Pixels)), f[0]);
            Assert.Equal(Keypoints.Names[w.Keypoint], f[1]);
            Assert.Equal(w.TrueX, float.Parse(f[2], CultureInfo.InvariantCulture));
            Assert.Equal(w.TrueY, float.Parse(f[3], CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Image_hash_is_xxhash128_as_32_lowercase_big_endian_hex_digits()
    {
        var px = D.Train[3].Pixels;
        var hex = ImageHash.Hex(ImageHash.Of(px));
        Assert.Matches("^[0-9a-f]{32}$", hex);
        Assert.Equal(Convert.ToHexStringLower(XxHash128.Hash(px)), hex);
        Assert.Equal("00000000000000000000000000000001", ImageHash.Hex(1));
        Assert.Equal("10000000000000000000000000000000", ImageHash.Hex(new UInt128(0x1000000000000000, 0)));
    }

    [Fact]
    public void Options_that_do_not_fit_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => SyntheticFaces.Generate(new SyntheticOptions(TrainRows: 50, DuplicateGroups: 20)));
        Assert.Throws<ArgumentException>(() => SyntheticFaces.Generate(new SyntheticOptions(PartialFraction: 1.5)));
    }
}
