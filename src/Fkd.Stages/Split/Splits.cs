using System.IO.Hashing;
using System.Text;

namespace Fkd.Stages.Split;

/// <summary>The split stage's core: every row of a group lands on the same side and in the same fold.</summary>
public static class Splits
{
    /// <summary>Pure: deterministic in (seed, group) only, so adding rows never moves existing groups.</summary>
    public static (ImmutableArray<FaceRow> Train, ImmutableArray<FaceRow> Val) Assign(
        IEnumerable<FaceRow> rows, Func<FaceRow, string> groupOf, double valFraction, int folds, int seed)
    {
        var train = ImmutableArray.CreateBuilder<FaceRow>();
        var val = ImmutableArray.CreateBuilder<FaceRow>();
        foreach (var r in rows)
        {
            var group = groupOf(r);
            var u = Unit(seed, "val", group);
            var fold = (int)(Unit(seed, "fold", group) * folds);
            var labelled = r.Face.LabelledKeypoints;
            var tagged = r.Tag("fold", fold).Tag("labelled", labelled);
            (u < valFraction ? val : train).Add(tagged);
        }
        return (train.ToImmutable(), val.ToImmutable());
    }

    private static double Unit(int seed, string salt, string group) =>
        (XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{seed}|{salt}|{group}")) >> 11) * (1.0 / (1UL << 53));
}
