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
            var (isVal, tagged) = Place(r, groupOf(r), valFraction, folds, seed);
            (isVal ? val : train).Add(tagged);
        }
        return (train.ToImmutable(), val.ToImmutable());
    }

    /// <summary>Pure, per row: its side (needing only its group) and the row tagged with its fold and labelled count.</summary>
    public static (bool Val, FaceRow Tagged) Place(FaceRow r, string group, double valFraction, int folds, int seed)
    {
        var fold = (int)(Unit(seed, "fold", group) * folds);
        return (IsVal(group, valFraction, seed), r.Tag("fold", fold).Tag("labelled", r.Face.LabelledKeypoints));
    }

    public static bool IsVal(string group, double valFraction, int seed) => Unit(seed, "val", group) < valFraction;

    private static double Unit(int seed, string salt, string group) =>
        (XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{seed}|{salt}|{group}")) >> 11) * (1.0 / (1UL << 53));
}
