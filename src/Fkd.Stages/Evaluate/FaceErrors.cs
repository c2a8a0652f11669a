namespace Fkd.Stages.Evaluate;

/// <summary>One face's error: the RMSE in pixels over the coordinates both its label and the prediction have.</summary>
public sealed record FaceError(FaceRow Face, double Rmse, int Coordinates);

/// <summary>Per-face errors, to look at the worst (or best) predictions.</summary>
public static class FaceErrors
{
    /// <summary>
    /// Each labelled face that has a prediction, with its error; sorted worst first (or best first), ties by id.
    /// Faces with no coordinate both labelled and predicted are left out.
    /// </summary>
    public static IReadOnlyList<FaceError> Rank(IEnumerable<FaceRow> truth, IReadOnlyDictionary<long, float[]> predictions, bool worstFirst = true)
    {
        var scored = new List<FaceError>();
        foreach (var t in truth)
        {
            if (!predictions.TryGetValue(t.Id, out var p)) continue;
            double sum = 0;
            var n = 0;
            for (var c = 0; c < Keypoints.CoordCount; c++)
            {
                if (float.IsNaN(t.Coords[c]) || float.IsNaN(p[c])) continue;
                var d = (double)p[c] - t.Coords[c];
                sum += d * d;
                n++;
            }
            if (n > 0) scored.Add(new FaceError(t, Math.Sqrt(sum / n), n));
        }
        return worstFirst
            ? [.. scored.OrderByDescending(e => e.Rmse).ThenBy(e => e.Face.Id)]
            : [.. scored.OrderBy(e => e.Rmse).ThenBy(e => e.Face.Id)];
    }
}
