using System.Globalization;

namespace Fkd.Stages.LabelFix;

/// <summary>A drop or fix line, matched by hash or by row; <paramref name="Where"/> is file:line for errors.</summary>
public sealed record FixTarget(string? Hash, long? Row, string Where)
{
    public bool Matches(FaceRow r) => Hash is not null ? r.Hash == Hash : r.Id == Row;
}

public sealed record DropFix(FixTarget Target, string Reason);

public sealed record KeypointFix(FixTarget Target, int Keypoint, float X, float Y, string Reason);

public sealed record AppliedFix(string Action, string Hash, long Row, string Detail);

public sealed record FixResult(ImmutableArray<FaceRow> Rows, ImmutableArray<AppliedFix> Applied, ImmutableArray<string> Unmatched);

public static class LabelFixes
{
    /// <summary>Pure: applies drops, then fixes, then the blank-image rule (blankStd &lt; 0 turns it off).</summary>
    public static FixResult Apply(IReadOnlyList<FaceRow> rows, IReadOnlyList<DropFix> drops, IReadOnlyList<KeypointFix> fixes, double blankStd)
    {
        var applied = ImmutableArray.CreateBuilder<AppliedFix>();
        var unmatched = ImmutableArray.CreateBuilder<string>();
        var kept = new List<FaceRow>(rows.Count);
        var dropUsed = new bool[drops.Count];
        foreach (var r in rows)
        {
            var hit = -1;
            for (var i = 0; i < drops.Count && hit < 0; i++) if (drops[i].Target.Matches(r)) hit = i;
            if (hit >= 0) { dropUsed[hit] = true; applied.Add(new AppliedFix("drop", r.Hash, r.Id, drops[hit].Reason)); continue; }
            kept.Add(r);
        }
        for (var i = 0; i < drops.Count; i++)
            if (!dropUsed[i])
                unmatched.Add(rows.Any(drops[i].Target.Matches)
                    ? $"{drops[i].Target.Where}: drop repeats an earlier drop of the same row"
                    : $"{drops[i].Target.Where}: drop matches no row");

        foreach (var fx in fixes)
        {
            var idx = kept.FindIndex(fx.Target.Matches);
            if (idx < 0) { unmatched.Add($"{fx.Target.Where}: fix matches no row"); continue; }
            var r = kept[idx];
            var c = (float[])r.Coords.Clone();
            var (ox, oy) = (c[2 * fx.Keypoint], c[2 * fx.Keypoint + 1]);
            c[2 * fx.Keypoint] = fx.X;
            c[2 * fx.Keypoint + 1] = fx.Y;
            kept[idx] = r with { Coords = c };
            applied.Add(new AppliedFix("fix", r.Hash, r.Id,
                string.Create(CultureInfo.InvariantCulture, $"{Keypoints.Names[fx.Keypoint]} ({ox:F2}, {oy:F2}) → ({fx.X:F2}, {fx.Y:F2}): {fx.Reason}")));
        }

        if (blankStd >= 0)
            kept.RemoveAll(r =>
            {
                var sd = PixelStd(r.Pixels);
                if (sd >= blankStd) return false;
                applied.Add(new AppliedFix("drop-blank", r.Hash, r.Id, string.Create(CultureInfo.InvariantCulture, $"pixel std {sd:F2} < {blankStd}")));
                return true;
            });
        return new FixResult([.. kept], applied.ToImmutable(), unmatched.ToImmutable());
    }

    public static double PixelStd(ReadOnlySpan<byte> p)
    {
        double s = 0, s2 = 0;
        foreach (var b in p) { s += b; s2 += b * b; }
        var m = s / p.Length;
        return Math.Sqrt(Math.Max(0, s2 / p.Length - m * m));
    }
}

