using Fkd.Stages.Dedup;

namespace Fkd.Stages.Report;

/// <summary>
/// What the report needs of one face table, its images left out: per row the hash, id and label
/// (dedup's <see cref="RowLabel"/>, so duplicate groups come from <see cref="Duplicates.Plan"/>), the
/// labelled-keypoint count and the four-keypoint flag; for the whole table the grey-level counts and
/// per-pixel sums; and the block-averaged images of the rows <see cref="PcaSample"/> picked. A few
/// hundred bytes a row plus a bounded sample, so a table of any size is read into one a row group at a
/// time (<see cref="Builder"/>). Arrays are treated as immutable once built.
/// </summary>
public sealed record TableDigest(ImmutableArray<RowLabel> Rows, ImmutableArray<int> Labelled, ImmutableArray<bool> IsFour,
    double[] GreyCounts, double[] PixelSums, ImmutableArray<double[]> PcaRows)
{
    public int Count => Rows.Length;

    /// <summary>Exactly Kaggle's four keypoints labelled, no other.</summary>
    public static bool IsFourPattern(float[] coords)
    {
        for (var k = 0; k < Keypoints.Count; k++)
            if (float.IsNaN(coords[2 * k]) == Keypoints.FourKeypointSubset.Contains(k)) return false;
        return true;
    }

    /// <summary>
    /// Takes a table's rows in file order. Grey counts and pixel sums are sums of integers in doubles,
    /// exact whatever the order, so they equal what the whole-table report summed.
    /// </summary>
    public sealed class Builder(ImmutableArray<int> pcaRows, int pcaSide)
    {
        private readonly ImmutableArray<RowLabel>.Builder _rows = ImmutableArray.CreateBuilder<RowLabel>();
        private readonly ImmutableArray<int>.Builder _labelled = ImmutableArray.CreateBuilder<int>();
        private readonly ImmutableArray<bool>.Builder _isFour = ImmutableArray.CreateBuilder<bool>();
        private readonly ImmutableArray<double[]>.Builder _pca = ImmutableArray.CreateBuilder<double[]>();
        private readonly double[] _grey = new double[256];
        private readonly double[] _sums = new double[Keypoints.PixelCount];
        private int _nextPca;

        public void Add(FaceRow r)
        {
            var index = _rows.Count;
            _rows.Add(new RowLabel(r.Hash, r.Id, r.Coords));
            _labelled.Add(r.Face.LabelledKeypoints);
            _isFour.Add(IsFourPattern(r.Coords));
            var px = r.Pixels;
            foreach (var b in px) _grey[b]++;
            for (var i = 0; i < _sums.Length; i++) _sums[i] += px[i];
            while (_nextPca < pcaRows.Length && pcaRows[_nextPca] == index) { _pca.Add(Pca.Downsample(px, pcaSide)); _nextPca++; }
        }

        public TableDigest ToDigest()
        {
            if (_nextPca < pcaRows.Length)
                throw new InvalidOperationException($"the PCA sample wants row {pcaRows[_nextPca]}, the table has {_rows.Count} rows");
            return new(_rows.ToImmutable(), _labelled.ToImmutable(), _isFour.ToImmutable(), (double[])_grey.Clone(), (double[])_sums.Clone(), _pca.ToImmutable());
        }
    }
}

/// <summary>
/// The rows PCA and adversarial validation see: all of them when train + test fit in the budget, else an
/// evenly spaced share of each set, the same share for both. Chosen by row index from the row counts
/// alone, so a stream knows them before it reads a row.
/// </summary>
public static class PcaSample
{
    public static double Share(int totalRows, int maxRows) => totalRows <= maxRows ? 1.0 : (double)maxRows / totalRows;

    /// <summary>Indices into a table of <paramref name="rows"/> rows, ascending.</summary>
    public static ImmutableArray<int> Rows(int rows, double share) =>
        share >= 1 ? [.. Enumerable.Range(0, rows)] : [.. Enumerable.Range(0, (int)(rows * share)).Select(i => (int)(i / share))];
}
