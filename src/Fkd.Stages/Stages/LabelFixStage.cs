using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Fkd.Flow.Stages;
using Fkd.Stages.Faces;

namespace Fkd.Stages.Stages;

/// <summary>
/// Applies label fixes kept as data files: a drop list (<c>image_hash,reason</c> or <c>row,reason</c>)
/// and a fixed-label table (<c>image_hash,keypoint,x,y,reason</c>, keypoint by name or index, or
/// <c>row</c> in place of the hash). Matching by hash survives reordering; row numbers (0-based
/// source rows) are the fallback. A fix that matches nothing is an error: it means the data or the
/// fix list moved. Blank images (pixel standard deviation under <c>blank_std</c>) are dropped too.
/// Every applied fix is logged and written to applied.csv.
/// </summary>
public sealed class LabelFixStage : FaceStage
{
    public override string Kind => "label-fix";
    public override int Version => 1;
    public override string Description => "drop listed and blank images, apply a fixed-label table";
    public override ImmutableArray<ParamDecl> Params =>
    [
        ParamDecl.Bool("drop_blank", true, "drop images with (almost) no contrast: no face to learn from"),
        ParamDecl.Float("blank_std", 2.0, "pixel standard deviation below which an image counts as blank", min: 0),
    ];
    public override ImmutableArray<InputDecl> Inputs =>
    [
        new("faces", InputShape.File, "face table (e.g. dedup/faces.parquet)"),
        new("drop", InputShape.File, "CSV of rows to drop: image_hash,reason or row,reason", Optional: true),
        new("fixes", InputShape.File, "CSV of fixed labels: image_hash,keypoint,x,y,reason", Optional: true),
    ];
    public override ImmutableArray<string> Outputs => ["faces.parquet", "applied.csv"];

    public override async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken ct)
    {
        var rows = await ReadFaces(ctx, "faces", ct);
        var drops = ctx.OptionalInput("drop") is { } d ? FixFiles.ReadDrops(d.Path) : [];
        var fixes = ctx.OptionalInput("fixes") is { } f ? FixFiles.ReadFixes(f.Path) : [];
        var result = LabelFixes.Apply(rows, drops, fixes, ctx.Bool("drop_blank") ? ctx.Float("blank_std") : -1);
        if (result.Unmatched.Length > 0)
            throw new InvalidDataException("label fixes that match no row: " + string.Join("; ", result.Unmatched));
        foreach (var a in result.Applied) ctx.Log.Information("Label fix: {Action} {Hash} row {Row}: {Detail}", a.Action, a.Hash[..12], a.Row, a.Detail);
        await WriteFaces(ctx, "faces.parquet", result.Rows, ct);
        var sb = new StringBuilder("action,image_hash,row,detail\n");
        foreach (var a in result.Applied) sb.Append($"{a.Action},{a.Hash},{a.Row},\"{a.Detail.Replace("\"", "'")}\"\n");
        await File.WriteAllTextAsync(ctx.Output("applied.csv"), sb.ToString(), ct);
        return StageOutcome.Of(result.Rows.Length,
            ("dropped", result.Applied.Count(a => a.Action != "fix")),
            ("dropped_blank", result.Applied.Count(a => a.Action == "drop-blank")),
            ("fixed_keypoints", result.Applied.Count(a => a.Action == "fix")));
    }
}

/// <summary>A drop or fix line, matched by hash or by row; <paramref name="Where"/> is file:line for errors.</summary>
public sealed record FixTarget(string? Hash, long? Row, string Where)
{
    public bool Matches(FaceRow r) => Hash is not null ? r.Hash == Hash : r.Id == Row;
}

public sealed record DropFix(FixTarget Target, string Reason);

public sealed record LabelFix(FixTarget Target, int Keypoint, float X, float Y, string Reason);

public sealed record AppliedFix(string Action, string Hash, long Row, string Detail);

public sealed record FixResult(ImmutableArray<FaceRow> Rows, ImmutableArray<AppliedFix> Applied, ImmutableArray<string> Unmatched);

public static class LabelFixes
{
    /// <summary>Pure: applies drops, then fixes, then the blank-image rule (blankStd &lt; 0 turns it off).</summary>
    public static FixResult Apply(IReadOnlyList<FaceRow> rows, IReadOnlyList<DropFix> drops, IReadOnlyList<LabelFix> fixes, double blankStd)
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
        for (var i = 0; i < drops.Count; i++) if (!dropUsed[i]) unmatched.Add($"{drops[i].Target.Where}: drop matches no row");

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

/// <summary>Reads the drop and fix CSVs, with file:line:column errors.</summary>
public static class FixFiles
{
    public static ImmutableArray<DropFix> ReadDrops(string path) =>
        [.. Rows(path, ["reason"]).Select(r => new DropFix(r.Target, r.Get("reason")))];

    public static ImmutableArray<LabelFix> ReadFixes(string path) =>
        [.. Rows(path, ["keypoint", "x", "y", "reason"]).Select(r =>
        {
            var kpText = r.Get("keypoint");
            var kp = int.TryParse(kpText, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k : Keypoints.Names.IndexOf(kpText);
            if (kp < 0 || kp >= Keypoints.Count) throw r.Error("keypoint", $"a keypoint name or index 0..14, found \"{kpText}\"");
            return new LabelFix(r.Target, kp, r.Coord("x"), r.Coord("y"), r.Get("reason"));
        })];

    private sealed record Row(FixTarget Target, Dictionary<string, (string Value, int Column)> Fields, string File, int Line)
    {
        public string Get(string name) => Fields[name].Value;

        public float Coord(string name)
        {
            var v = Get(name);
            return float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f >= 0 && f <= Keypoints.ImageSide
                ? f : throw Error(name, $"a coordinate in [0, 96], found \"{v}\"");
        }

        public InvalidDataException Error(string field, string expected) =>
            new($"{File}:{Line}:{Fields.GetValueOrDefault(field).Column}: {field}: expected {expected}");
    }

    private static IEnumerable<Row> Rows(string path, string[] required)
    {
        var name = Path.GetFileName(path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InvalidDataException($"{name}:1:1: expected a header line");
        var header = lines[0].TrimStart('\uFEFF').Split(',').Select(h => h.Trim()).ToArray();
        var hasHash = header.Contains("image_hash");
        if (!hasHash && !header.Contains("row")) throw new InvalidDataException($"{name}:1:1: header: expected an image_hash or row column");
        foreach (var req in required)
            if (!header.Contains(req)) throw new InvalidDataException($"{name}:1:1: header: expected a {req} column, found {string.Join(",", header)}");
        for (var i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var parts = SplitCsv(lines[i]);
            // A free-text reason last may hold unquoted commas: it takes the rest of the line.
            if (parts.Count > header.Length && header[^1] == "reason")
            {
                var start = parts[header.Length - 1].Column - 1;
                parts = [.. parts.Take(header.Length - 1), (lines[i][start..].Trim(), start + 1)];
            }
            if (parts.Count != header.Length)
                throw new InvalidDataException($"{name}:{i + 1}:1: expected {header.Length} fields, found {parts.Count}");
            var fields = new Dictionary<string, (string Value, int Column)>();
            for (var k = 0; k < header.Length; k++) fields[header[k]] = parts[k];
            var where = $"{name}:{i + 1}";
            FixTarget target;
            if (hasHash && fields["image_hash"].Value.Length > 0)
            {
                var h = fields["image_hash"].Value.ToLowerInvariant();
                if (h.Length != 32 || !h.All(char.IsAsciiHexDigit))
                    throw new InvalidDataException($"{where}:{fields["image_hash"].Column}: image_hash: expected 32 hex digits, found \"{h}\"");
                target = new FixTarget(h, null, where);
            }
            else if (fields.TryGetValue("row", out var rv) && long.TryParse(rv.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var row))
                target = new FixTarget(null, row, where);
            else throw new InvalidDataException($"{where}:1: expected an image_hash or a row number");
            yield return new Row(target, fields, name, i + 1);
        }
    }

    /// <summary>Splits one CSV line (quotes allowed) into trimmed fields with their 1-based columns.</summary>
    private static List<(string Value, int Column)> SplitCsv(string line)
    {
        var res = new List<(string, int)>();
        var i = 0;
        while (true)
        {
            var start = i;
            var sb = new StringBuilder();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (i < line.Length && !(line[i] == '"' && (i + 1 >= line.Length || line[i + 1] != '"'))) { if (line[i] == '"') i++; sb.Append(line[i++]); }
                i++;
                while (i < line.Length && line[i] != ',') i++;
            }
            else while (i < line.Length && line[i] != ',') sb.Append(line[i++]);
            res.Add((sb.ToString().Trim(), start + 1));
            if (i >= line.Length) break;
            i++;
        }
        return res;
    }
}
