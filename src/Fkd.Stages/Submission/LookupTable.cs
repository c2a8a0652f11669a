using System.Globalization;

namespace Fkd.Stages.Submission;

/// <summary>One line of Kaggle's IdLookupTable.csv: the submission row that wants this image's value of this feature.</summary>
public sealed record LookupRow(int RowId, long ImageId, string Feature);

/// <summary>Kaggle's IdLookupTable.csv (RowId,ImageId,FeatureName[,Location]), read with file:line errors.</summary>
public static class LookupTable
{
    public static ImmutableArray<LookupRow> Read(string path)
    {
        var csv = SimpleCsv.Read(path);
        int Col(string c) => csv.IndexOf(c) is var i and >= 0 ? i : throw new InvalidDataException($"{csv.Name}:1:1: header: expected a {c} column");
        var (ri, ii, fi) = (Col("RowId"), Col("ImageId"), Col("FeatureName"));
        var res = ImmutableArray.CreateBuilder<LookupRow>();
        foreach (var (line, f) in csv.Rows())
        {
            // Kaggle's table ends with an empty Location column, which a line may leave out: a line needs the fields up to the last one read.
            if (f.Length <= Math.Max(ri, Math.Max(ii, fi)) || !int.TryParse(f[ri], NumberStyles.Integer, CultureInfo.InvariantCulture, out var row)
                || !long.TryParse(f[ii], NumberStyles.Integer, CultureInfo.InvariantCulture, out var img))
                throw new InvalidDataException($"{csv.Name}:{line}:1: expected RowId,ImageId,FeatureName with integer ids");
            var feat = f[fi].Trim();
            if (!Keypoints.Columns.Contains(feat)) throw new InvalidDataException($"{csv.Name}:{line}:{fi + 1}: FeatureName: expected a Kaggle keypoint column, found \"{feat}\"");
            res.Add(new LookupRow(row, img, feat));
        }
        return res.ToImmutable();
    }

    /// <summary>Without a lookup table: every image's 30 features, RowIds numbered from 1 in image then column order.</summary>
    public static ImmutableArray<LookupRow> Every(IEnumerable<long> imageIds) =>
        [.. imageIds.Order().SelectMany(id => Keypoints.Columns.Select(c => (id, c))).Select((r, i) => new LookupRow(i + 1, r.id, r.c))];
}
