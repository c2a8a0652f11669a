namespace Fkd.Stages.Faces;

/// <summary>RMSE in pixels over the coordinates present in the truth, overall (Kaggle's score) and per keypoint.</summary>
public sealed record RmseReport(double Overall, long Count, ImmutableArray<(string Keypoint, double Rmse, long Count)> PerKeypoint);

public static class Rmse
{
    /// <summary>Pure. Truth rows without a prediction of the same id are an error, not silently skipped.</summary>
    public static RmseReport Of(IEnumerable<(long Id, float[] Coords)> truth, IReadOnlyDictionary<long, float[]> predicted)
    {
        var sum = new double[Keypoints.Count];
        var n = new long[Keypoints.Count];
        foreach (var (id, t) in truth)
        {
            if (!predicted.TryGetValue(id, out var p)) throw new InvalidDataException($"no prediction for row {id}");
            for (var c = 0; c < Keypoints.CoordCount; c++)
            {
                if (float.IsNaN(t[c]) || float.IsNaN(p[c])) continue;
                var d = (double)p[c] - t[c];
                sum[c / 2] += d * d;
                n[c / 2]++;
            }
        }
        var total = sum.Sum();
        var count = n.Sum();
        return new RmseReport(
            count == 0 ? double.NaN : Math.Sqrt(total / count), count,
            [.. Enumerable.Range(0, Keypoints.Count).Select(k => (Keypoints.Names[k], n[k] == 0 ? double.NaN : Math.Sqrt(sum[k] / n[k]), n[k]))]);
    }
}
