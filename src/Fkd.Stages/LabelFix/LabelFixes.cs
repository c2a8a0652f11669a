using System.Globalization;

namespace Fkd.Stages.LabelFix;

/// <summary>A drop or fix line, matched by hash or by row; <paramref name="Where"/> is file:line for errors.</summary>
public sealed record FixTarget(string? Hash, long? Row, string Where)
{
    public bool Matches(FaceRow r) => Matches(r.Hash, r.Id);

    public bool Matches(string hash, long id) => Hash is not null ? hash == Hash : id == Row;
}

public sealed record DropFix(FixTarget Target, string Reason);

public sealed record KeypointFix(FixTarget Target, int Keypoint, float X, float Y, string Reason);

public sealed record AppliedFix(string Action, string Hash, long Row, string Detail);

public sealed record FixResult(ImmutableArray<FaceRow> Rows, ImmutableArray<AppliedFix> Applied, ImmutableArray<string> Unmatched);

/// <summary>
/// What label fixing needs of a row, not its image: hash, id, the pixel standard deviation (NaN when the
/// blank rule is off) and the label, which only a row some fix targets needs (null otherwise, so a
/// streaming stage holds labels of the few fixed rows only).
/// </summary>
public sealed record FixRowInfo(string Hash, long Id, float[]? Coords, double PixelStd);

/// <summary>What becomes of one input row: dropped, or kept with new coordinates (null: unchanged).</summary>
public sealed record FixDecision(bool Keep, float[]? Coords)
{
    public FaceRow? Apply(FaceRow r) => !Keep ? null : Coords is null ? r : r with { Coords = Coords };
}

/// <summary>One decision per input row, in input order, with the applied fixes and the lines that matched nothing.</summary>
public sealed record FixPlan(ImmutableArray<FixDecision> Decisions, ImmutableArray<AppliedFix> Applied, ImmutableArray<string> Unmatched);

public static class LabelFixes
{
    /// <summary>Pure: applies drops, then fixes, then the blank-image rule (blankStd &lt; 0 turns it off).</summary>
    public static FixResult Apply(IReadOnlyList<FaceRow> rows, IReadOnlyList<DropFix> drops, IReadOnlyList<KeypointFix> fixes, double blankStd)
    {
        var plan = Plan([.. rows.Select(r => Info(r, fixes, blankStd))], drops, fixes, blankStd);
        var kept = ImmutableArray.CreateBuilder<FaceRow>();
        for (var i = 0; i < rows.Count; i++)
            if (plan.Decisions[i].Apply(rows[i]) is { } r) kept.Add(r);
        return new FixResult(kept.ToImmutable(), plan.Applied, plan.Unmatched);
    }

    /// <summary>The part of a row <see cref="Plan"/> reads.</summary>
    public static FixRowInfo Info(FaceRow r, IReadOnlyList<KeypointFix> fixes, double blankStd) =>
        new(r.Hash, r.Id, fixes.Any(f => f.Target.Matches(r)) ? r.Coords : null, blankStd >= 0 ? PixelStd(r.Pixels) : double.NaN);

    /// <summary>
    /// Pure, on <see cref="FixRowInfo"/> (no images): drops (a row takes the first drop line matching it),
    /// then fixes in file order (each on the first kept row it matches, after earlier fixes of that row),
    /// then the blank-image rule on the kept rows.
    /// </summary>
    public static FixPlan Plan(IReadOnlyList<FixRowInfo> rows, IReadOnlyList<DropFix> drops, IReadOnlyList<KeypointFix> fixes, double blankStd)
    {
        var applied = ImmutableArray.CreateBuilder<AppliedFix>();
        var unmatched = ImmutableArray.CreateBuilder<string>();
        var kept = new List<int>(rows.Count);
        var dropUsed = new bool[drops.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            var hit = -1;
            for (var d = 0; d < drops.Count && hit < 0; d++) if (drops[d].Target.Matches(r.Hash, r.Id)) hit = d;
            if (hit >= 0) { dropUsed[hit] = true; applied.Add(new AppliedFix("drop", r.Hash, r.Id, drops[hit].Reason)); continue; }
            kept.Add(i);
        }
        for (var d = 0; d < drops.Count; d++)
            if (!dropUsed[d])
                unmatched.Add(rows.Any(r => drops[d].Target.Matches(r.Hash, r.Id))
                    ? $"{drops[d].Target.Where}: drop repeats an earlier drop of the same row"
                    : $"{drops[d].Target.Where}: drop matches no row");

        var fixedCoords = new Dictionary<int, float[]>();
        foreach (var fx in fixes)
        {
            var idx = kept.FindIndex(i => fx.Target.Matches(rows[i].Hash, rows[i].Id));
            if (idx < 0) { unmatched.Add($"{fx.Target.Where}: fix matches no row"); continue; }
            var i = kept[idx];
            var r = rows[i];
            var c = (float[])(fixedCoords.GetValueOrDefault(i) ?? r.Coords ?? throw new ArgumentException($"row {r.Id}: a fix targets it but its label was not kept")).Clone();
            var (ox, oy) = (c[2 * fx.Keypoint], c[2 * fx.Keypoint + 1]);
            c[2 * fx.Keypoint] = fx.X;
            c[2 * fx.Keypoint + 1] = fx.Y;
            fixedCoords[i] = c;
            applied.Add(new AppliedFix("fix", r.Hash, r.Id,
                string.Create(CultureInfo.InvariantCulture, $"{Keypoints.Names[fx.Keypoint]} ({ox:F2}, {oy:F2}) → ({fx.X:F2}, {fx.Y:F2}): {fx.Reason}")));
        }

        var decisions = new FixDecision[rows.Count];
        var dropped = new FixDecision(false, null);
        Array.Fill(decisions, dropped);
        foreach (var i in kept)
        {
            var sd = rows[i].PixelStd;
            if (blankStd >= 0 && !(sd >= blankStd))
            {
                applied.Add(new AppliedFix("drop-blank", rows[i].Hash, rows[i].Id, string.Create(CultureInfo.InvariantCulture, $"pixel std {sd:F2} < {blankStd}")));
                continue;
            }
            decisions[i] = new FixDecision(true, fixedCoords.GetValueOrDefault(i));
        }
        return new FixPlan([.. decisions], applied.ToImmutable(), unmatched.ToImmutable());
    }

    public static double PixelStd(ReadOnlySpan<byte> p)
    {
        double s = 0, s2 = 0;
        foreach (var b in p) { s += b; s2 += b * b; }
        var m = s / p.Length;
        return Math.Sqrt(Math.Max(0, s2 / p.Length - m * m));
    }
}
