using Fkd.Stages.Torch;

namespace Fkd.Stages.Train;

/// <summary>Face rows to the arrays the trainer takes.</summary>
public static class TrainingData
{
    /// <summary>Pixels as stored (bytes); targets (y − 48)/48, NaN where missing. Targets "four" keeps only the 8 subset coordinates.</summary>
    public static TrainingSet ToSet(IReadOnlyList<FaceRow> rows, TrainTargets targets)
    {
        var coords = ModelInputs.CoordIndices(targets);
        var pixels = new byte[rows.Count * Keypoints.PixelCount];
        for (var i = 0; i < rows.Count; i++) rows[i].Pixels.CopyTo(pixels, i * Keypoints.PixelCount);
        var t = new float[rows.Count * coords.Length];
        for (var i = 0; i < rows.Count; i++)
            for (var j = 0; j < coords.Length; j++)
                t[i * coords.Length + j] = (rows[i].Coords[coords[j]] - ModelInputs.Centre) / ModelInputs.Centre;
        return new TrainingSet(rows.Count, pixels, t);
    }

    /// <summary>Rows whose <c>fold</c> tag differs from <paramref name="fold"/> (all rows when it is negative); the table must carry fold tags.</summary>
    public static IReadOnlyList<FaceRow> HoldOut(IReadOnlyList<FaceRow> rows, int fold)
    {
        if (fold < 0) return rows;
        if (rows.Count > 0 && rows.All(r => !r.Tags.ContainsKey("fold")))
            throw new InvalidDataException("holdout_fold needs rows tagged with 'fold' (the split stage's train.parquet, or augment of it)");
        return [.. rows.Where(r => r.TagOr("fold", -1) != fold)];
    }

    /// <summary>The rows a model with these targets learns from: some label (masked), all 15 keypoints (full), the 4 subset keypoints (four).</summary>
    public static List<FaceRow> Select(IEnumerable<FaceRow> rows, TrainTargets targets) => rows.Where(r => Fits(r, targets)).ToList();

    /// <summary>Whether a model with these targets learns from the row (see <see cref="Select"/>).</summary>
    public static bool Fits(FaceRow r, TrainTargets targets) => targets switch
    {
        TrainTargets.Full => r.Face.HasAll,
        TrainTargets.Four => Keypoints.FourKeypointSubset.All(k => !float.IsNaN(r.Coords[2 * k]) && !float.IsNaN(r.Coords[2 * k + 1])),
        _ => r.Face.LabelledKeypoints > 0,
    };

    /// <summary>
    /// The training set <c>ToSet(Select(HoldOut(rows, fold), targets), targets)</c> would make from the face
    /// table at <paramref name="table"/>, made one row group at a time: the images go to a new
    /// <see cref="PixelFile"/> at <paramref name="pixelPath"/>, only the targets stay in memory, so a set of any
    /// size costs a row group and its targets. The caller disposes the set's file.
    /// </summary>
    public static async Task<TrainingSet> ToFileSetAsync(string table, TrainTargets targets, int fold, string pixelPath, CancellationToken ct)
    {
        var coords = ModelInputs.CoordIndices(targets);
        var t = new List<float>((int)Math.Min(int.MaxValue / 2, await FaceTable.RowCountAsync(table, ct) * coords.Length));
        bool anyRows = false, anyFold = false;
        try
        {
            using (var w = new PixelFile.Writer(pixelPath))
            {
                await foreach (var group in FaceTable.ReadGroupsAsync(table, ct))
                    foreach (var r in group)
                    {
                        anyRows = true;
                        if (r.Tags.TryGetValue("fold", out var f)) anyFold = true;
                        if (fold >= 0 && (r.Tags.ContainsKey("fold") ? f : -1) == fold) continue;
                        if (!Fits(r, targets)) continue;
                        w.Add(r.Pixels);
                        foreach (var c in coords) t.Add((r.Coords[c] - ModelInputs.Centre) / ModelInputs.Centre);
                    }
            }
            if (fold >= 0 && anyRows && !anyFold)
                throw new InvalidDataException("holdout_fold needs rows tagged with 'fold' (the split stage's train.parquet, or augment of it)");
        }
        catch
        {
            File.Delete(pixelPath); // a half-written file is of no use to anyone
            throw;
        }
        var set = TrainingSet.FromFile(PixelFile.Open(pixelPath), [.. t]);
        // Every row read is garbage now, much of it promoted while its row group was being copied, and
        // training allocates too little managed memory to set off the collection that would free it: free
        // it once here and hand the pages back, before libtorch takes its own for the whole training.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return set;
    }
}
