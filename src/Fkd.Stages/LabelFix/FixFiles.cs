using System.Globalization;
using System.Text;

namespace Fkd.Stages.LabelFix;

/// <summary>Reads the drop and fix CSVs, with file:line:column errors.</summary>
public static class FixFiles
{
    public static ImmutableArray<DropFix> ReadDrops(string path) =>
        [.. Rows(path, ["reason"]).Select(r => new DropFix(r.Target, r.Get("reason")))];

    public static ImmutableArray<KeypointFix> ReadFixes(string path) =>
        [.. Rows(path, ["keypoint", "x", "y", "reason"]).Select(r =>
        {
            var kpText = r.Get("keypoint");
            var kp = int.TryParse(kpText, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k : Keypoints.Names.IndexOf(kpText);
            if (kp < 0 || kp >= Keypoints.Count) throw r.Error("keypoint", $"a keypoint name or index 0..14, found \"{kpText}\"");
            return new KeypointFix(r.Target, kp, r.Coord("x"), r.Coord("y"), r.Get("reason"));
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
