namespace Fkd.Stages.Source;

/// <summary>
/// Deterministic generator of crude synthetic faces with exact keypoints, in the shape of Kaggle's
/// "Facial Keypoints Detection" data, with Kaggle's data traits planted on purpose (partial labels,
/// duplicate images, wrong labels, blank images) and recorded in <see cref="PlantedTraits"/>.
/// </summary>
public static class SyntheticFaces
{
    // Independent random streams; every row draws from its own (Seed, stream, index) generator.
    private const int StreamPlan = 0, StreamTrain = 1, StreamTest = 2, StreamWrong = 3, StreamJitter = 4;

    private const float LabelMin = 0.5f, LabelMax = 95f;

    /// <summary>Pure: the same options give byte-identical data whatever the thread count.</summary>
    public static SyntheticDataset Generate(SyntheticOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        var n = o.TrainRows;

        // ---- Plan which rows carry which trait (one sequential generator).
        var plan = new Rng(o.Seed, StreamPlan, 0);
        var sizes = new int[o.DuplicateGroups];
        for (var g = 0; g < sizes.Length; g++) sizes[g] = 2 + plan.Int(2);
        var perm = Enumerable.Range(0, n).ToArray();
        plan.Shuffle(perm);
        var at = 0;
        var copyOf = new int[n];
        Array.Fill(copyOf, -1);
        var groups = new List<ImmutableArray<int>>(sizes.Length);
        foreach (var size in sizes)
        {
            var grp = perm.AsSpan(at, size).ToArray();
            at += size;
            Array.Sort(grp);
            for (var k = 1; k < grp.Length; k++) copyOf[grp[k]] = grp[0];
            groups.Add([.. grp]);
        }
        groups.Sort((a, b) => a[0].CompareTo(b[0]));
        var wrongRows = perm.AsSpan(at, o.WrongLabels).ToArray();
        at += o.WrongLabels;
        Array.Sort(wrongRows);
        var blankRows = perm.AsSpan(at, o.BlankImages).ToArray();
        at += o.BlankImages;
        Array.Sort(blankRows);
        var levels = Enumerable.Range(0, 256).ToArray();
        plan.Shuffle(levels);
        var blankLevel = new int[n];
        Array.Fill(blankLevel, -1);
        for (var k = 0; k < blankRows.Length; k++) blankLevel[blankRows[k]] = levels[k];

        var excluded = new HashSet<int>(wrongRows.Concat(blankRows));
        var eligible = Enumerable.Range(0, n).Where(i => !excluded.Contains(i)).ToArray();
        plan.Shuffle(eligible);
        var partialRows = eligible.AsSpan(0, Math.Min(o.PartialRowCount, eligible.Length)).ToArray();
        Array.Sort(partialRows);

        // ---- Draw the training images (rows that copy another row's image are filled afterwards).
        var par = new ParallelOptions { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism };
        var pixels = new byte[n][];
        var truth = new float[n][];
        Parallel.For(0, n, par, i =>
        {
            if (copyOf[i] >= 0) return;
            var rng = new Rng(o.Seed, StreamTrain, i);
            var face = FaceDrawing.Sample(ref rng, o);
            truth[i] = face.Coords;
            var px = new byte[Keypoints.PixelCount];
            if (blankLevel[i] >= 0) Array.Fill(px, (byte)blankLevel[i]);
            else face.Render(px, ref rng);
            pixels[i] = px;
        });
        for (var i = 0; i < n; i++)
        {
            if (copyOf[i] < 0) continue;
            pixels[i] = (byte[])pixels[copyOf[i]].Clone();
            truth[i] = (float[])truth[copyOf[i]].Clone();
        }

        // ---- Labels: truth, jittered for duplicate copies, then wrong labels, then partial masking.
        var labels = new float[n][];
        for (var i = 0; i < n; i++)
        {
            var c = (float[])truth[i].Clone();
            if (copyOf[i] >= 0)
            {
                var rng = new Rng(o.Seed, StreamJitter, i);
                for (var k = 0; k < c.Length; k++)
                    c[k] = Math.Clamp(c[k] + (float)rng.Uniform(-1, 1), LabelMin, LabelMax);
            }
            labels[i] = c;
        }
        var wrong = new List<WrongLabel>();
        foreach (var i in wrongRows)
        {
            var rng = new Rng(o.Seed, StreamWrong, i);
            var c = labels[i];
            if (rng.Chance(1.0 / 3))
            {
                // Left/right eye centres swapped.
                wrong.Add(new WrongLabel(i, 0, c[0], c[1], c[2], c[3], "left and right eye centres swapped"));
                wrong.Add(new WrongLabel(i, 1, c[2], c[3], c[0], c[1], "left and right eye centres swapped"));
                (c[0], c[2]) = (c[2], c[0]);
                (c[1], c[3]) = (c[3], c[1]);
            }
            else
            {
                var k = rng.Int(Keypoints.Count);
                float gx, gy;
                double dist;
                var tries = 0;
                do
                {
                    var ang = rng.Uniform(0, 2 * Math.PI);
                    dist = rng.Uniform(15, 25);
                    if (++tries > 50) dist = 15;
                    gx = (float)(c[2 * k] + dist * Math.Cos(ang));
                    gy = (float)(c[2 * k + 1] + dist * Math.Sin(ang));
                } while (!(gx >= LabelMin && gx <= LabelMax && gy >= LabelMin && gy <= LabelMax));
                wrong.Add(new WrongLabel(i, k, c[2 * k], c[2 * k + 1], gx, gy,
                    $"{Keypoints.Names[k]} moved {dist.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} px"));
                c[2 * k] = gx;
                c[2 * k + 1] = gy;
            }
        }
        var subset = new bool[Keypoints.Count];
        foreach (var k in Keypoints.FourKeypointSubset) subset[k] = true;
        foreach (var i in partialRows)
            for (var k = 0; k < Keypoints.Count; k++)
                if (!subset[k]) labels[i][2 * k] = labels[i][2 * k + 1] = float.NaN;

        var train = new Face[n];
        for (var i = 0; i < n; i++) train[i] = new Face(i, pixels[i], labels[i]);

        // ---- Test images: plain faces, no labels; truth kept aside.
        var m = o.TestRows;
        var test = new Face[m];
        var testTruth = new float[m][];
        Parallel.For(0, m, par, k =>
        {
            var rng = new Rng(o.Seed, StreamTest, k);
            var face = FaceDrawing.Sample(ref rng, o);
            var px = new byte[Keypoints.PixelCount];
            face.Render(px, ref rng);
            testTruth[k] = face.Coords;
            test[k] = new Face(k + 1, px, Face.MissingCoords());
        });

        var planted = new PlantedTraits(
            [.. partialRows],
            [.. groups],
            [.. wrong],
            [.. blankRows],
            [.. truth],
            [.. testTruth]);
        return new SyntheticDataset([.. train], [.. test], BuildLookup(m), planted);
    }

    /// <summary>Kaggle-like lookup: the first half of the test images (rounded up) ask for all 30
    /// coordinates, the rest for the 8 coordinates of the 4-keypoint subset. RowId from 1.</summary>
    public static ImmutableArray<LookupRequest> BuildLookup(int testRows)
    {
        var full = (testRows + 1) / 2;
        var subsetCols = Keypoints.FourKeypointSubset
            .SelectMany(k => new[] { Keypoints.Columns[2 * k], Keypoints.Columns[2 * k + 1] }).ToArray();
        var b = ImmutableArray.CreateBuilder<LookupRequest>(full * 30 + (testRows - full) * 8);
        var rowId = 1;
        for (var id = 1; id <= testRows; id++)
            foreach (var col in id <= full ? Keypoints.Columns.AsEnumerable() : subsetCols)
                b.Add(new LookupRequest(rowId++, id, col));
        return b.MoveToImmutable();
    }

    /// <summary>Writes training.csv, test.csv, IdLookupTable.csv, drop.csv and fixes.csv into a folder.</summary>
    public static void WriteKaggleFiles(SyntheticDataset d, string directory)
    {
        Directory.CreateDirectory(directory);
        using (var s = File.Create(Path.Combine(directory, "training.csv"))) KaggleCsvWriter.WriteTraining(s, d.Train);
        using (var s = File.Create(Path.Combine(directory, "test.csv"))) KaggleCsvWriter.WriteTest(s, d.Test);
        using (var s = File.Create(Path.Combine(directory, "IdLookupTable.csv"))) KaggleCsvWriter.WriteLookup(s, d.Lookup);
        using (var s = File.Create(Path.Combine(directory, "drop.csv"))) SyntheticFixes.WriteDrop(s, d);
        using (var s = File.Create(Path.Combine(directory, "fixes.csv"))) SyntheticFixes.WriteFixes(s, d);
    }
}
