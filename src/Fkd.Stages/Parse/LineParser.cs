using System.Globalization;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Text;
using LanguageExt;

namespace Fkd.Stages.Parse;

internal enum ColumnKind : byte { Keypoint, Image, ImageId }

/// <summary>The header, resolved: for each file column, what it holds (and for keypoints, the coordinate slot).</summary>
internal sealed record HeaderLayout(ImmutableArray<string> Names, ColumnKind[] Kinds, int[] Slots);

internal sealed record ChunkResult(List<ParsedRow> Rows, List<RowError> Errors);

internal static class LineParser
{
    private static readonly Dictionary<string, int> KeypointSlot =
        Keypoints.Columns.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i, StringComparer.Ordinal);

    public static Fin<HeaderLayout> ParseHeader(ReadOnlySpan<byte> line, string file)
    {
        line = TrimEnd(line);
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        if (IsBlank(line)) return Fin<HeaderLayout>.Fail(new HeaderError(file, "no header line (file is empty or starts with a blank line)"));
        var names = Encoding.UTF8.GetString(line).Split(',').Select(n => n.Trim(' ', '\t', '\r')).ToImmutableArray();
        var kinds = new ColumnKind[names.Length];
        var slots = new int[names.Length];
        var unknown = new List<string>();
        var problems = new List<string>();
        for (var i = 0; i < names.Length; i++)
        {
            var n = names[i];
            if (n == "Image") kinds[i] = ColumnKind.Image;
            else if (n == "ImageId") kinds[i] = ColumnKind.ImageId;
            else if (KeypointSlot.TryGetValue(n, out var slot)) { kinds[i] = ColumnKind.Keypoint; slots[i] = slot; }
            else unknown.Add(n.Length == 0 ? $"(empty name, column {i + 1})" : n);
        }
        if (!names.Contains("Image")) problems.Add("missing required column 'Image'");
        var dups = names.Where(n => n.Length > 0).GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (dups.Count > 0) problems.Add("duplicate column(s): " + string.Join(", ", dups));
        if (unknown.Count > 0)
            problems.Add("unknown column(s): " + string.Join(", ", unknown) + " (allowed: the 30 Kaggle keypoint columns, Image, ImageId)");
        if (problems.Count > 0) return Fin<HeaderLayout>.Fail(new HeaderError(file, string.Join("; ", problems)));
        return new HeaderLayout(names, kinds, slots);
    }

    /// <summary>Parses a block of whole lines. <paramref name="final"/>: the block ends the file, so an
    /// unterminated last line may be a truncated row.</summary>
    public static ChunkResult ParseBlock(ReadOnlySpan<byte> data, int firstLine, bool final, HeaderLayout h, string file)
    {
        var rows = new List<ParsedRow>(data.Length / 30000 + 1);
        var errors = new List<RowError>();
        int pos = 0, lineNo = firstLine;
        Span<int> starts = h.Kinds.Length <= 64 ? stackalloc int[h.Kinds.Length + 1] : new int[h.Kinds.Length + 1];
        while (pos < data.Length)
        {
            var nl = data[pos..].IndexOf((byte)'\n');
            var end = nl >= 0 ? pos + nl : data.Length;
            var line = data[pos..end];
            if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
            if (!IsBlank(line))
            {
                var unterminated = final && nl < 0;
                var err = ParseLine(line, lineNo, unterminated, h, file, starts, out var row);
                if (err is not null) errors.Add(err); else rows.Add(row!);
            }
            lineNo++;
            pos = end + 1;
        }
        return new ChunkResult(rows, errors);
    }

    private static RowError? ParseLine(ReadOnlySpan<byte> line, int lineNo, bool unterminated, HeaderLayout h, string file,
        Span<int> starts, out ParsedRow? row)
    {
        row = null;
        var nCols = h.Kinds.Length;
        var nFields = line.Count((byte)',') + 1;

        if (nFields > nCols)
        {
            var off = NthFieldStart(line, nCols);
            return new RowError(file, lineNo, Col(line, off), $"field {nCols + 1}", $"{nCols} fields", nFields.ToString(CultureInfo.InvariantCulture));
        }
        if (nFields < nCols)
        {
            if (unterminated)
            {
                var off = NthFieldStart(line, nFields - 1);
                return new RowError(file, lineNo, Col(line, off), h.Names[nFields - 1], "complete row",
                    $"file ends mid-row after {nFields} of {nCols} fields");
            }
            return new RowError(file, lineNo, Col(line, line.Length), h.Names[nFields], $"{nCols} fields", nFields.ToString(CultureInfo.InvariantCulture));
        }

        // Field starts (byte offsets); starts[nCols] = line.Length + 1 (as if a comma followed).
        var p = 0;
        for (var i = 0; i < nCols; i++)
        {
            starts[i] = p;
            if (i < nCols - 1) p += line[p..].IndexOf((byte)',') + 1;
        }
        starts[nCols] = line.Length + 1;

        var coords = new float[Keypoints.CoordCount];
        coords.AsSpan().Fill(float.NaN);
        int? imageId = null;
        byte[]? pixels = null;
        for (var i = 0; i < nCols; i++)
        {
            var raw = line[starts[i]..(starts[i + 1] - 1)];
            var f = Trim(raw);
            switch (h.Kinds[i])
            {
                case ColumnKind.Keypoint:
                    if (f.Length == 0) break;
                    // .NET's number parser lets trailing NULs through ("12.5\0" reads as 12.5): a NUL is never part of a number.
                    if (f.Contains((byte)0) || !double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d))
                        return new RowError(file, lineNo, Col(line, starts[i]), h.Names[i], "number", Show(f));
                    if (d < 0 || d > Keypoints.ImageSide)
                        return new RowError(file, lineNo, Col(line, starts[i]), h.Names[i], "number in [0, 96]", Show(f));
                    coords[h.Slots[i]] = (float)d;
                    break;
                case ColumnKind.ImageId:
                    if (!TryPositiveInt(f, out var id))
                        return new RowError(file, lineNo, Col(line, starts[i]), h.Names[i], "positive integer", Show(f));
                    imageId = id;
                    break;
                case ColumnKind.Image:
                {
                    // Pinned object heap: rows survive the read, so gen0 would only copy them up; the POH never moves them.
                    pixels = GC.AllocateUninitializedArray<byte>(Keypoints.PixelCount, pinned: true);
                    var n = ParsePixels(raw, pixels, out var badAt, out var badKind);
                    if (badKind != 0)
                    {
                        var tok = raw[badAt..];
                        var sp = tok.IndexOf((byte)' ');
                        if (sp >= 0) tok = tok[..sp];
                        return new RowError(file, lineNo, Col(line, starts[i] + badAt), h.Names[i],
                            badKind == 1 ? "integer pixel" : "pixel in 0..255", $"{Show(tok)} at pixel {n + 1}");
                    }
                    if (n != Keypoints.PixelCount)
                    {
                        if (unterminated && n < Keypoints.PixelCount && i == nCols - 1)
                            return new RowError(file, lineNo, Col(line, starts[i]), h.Names[i], "complete row",
                                $"file ends mid-row after {n} of {Keypoints.PixelCount} pixels");
                        return new RowError(file, lineNo, Col(line, starts[i]), h.Names[i], $"{Keypoints.PixelCount} pixels",
                            n.ToString(CultureInfo.InvariantCulture));
                    }
                    break;
                }
            }
        }
        row = new ParsedRow(lineNo, imageId, pixels!, coords);
        return null;
    }

    /// <summary>
    /// Parses space-separated integers into <paramref name="dst"/> (up to its length; counts beyond).
    /// Returns the count. badKind: 0 ok, 1 not an integer, 2 out of 0..255; badAt = token offset in <paramref name="f"/>.
    /// </summary>
    internal static unsafe int ParsePixels(ReadOnlySpan<byte> f, byte[] dst, out int badAt, out int badKind)
    {
        badAt = 0; badKind = 0;
        // An empty field holds no pixels; it must not reach the pointer loops (pinning an empty span gives null,
        // and "end - 4" below would wrap around).
        if (f.IsEmpty) return 0;
        var n = 0;
        var cap = dst.Length;
        fixed (byte* b = f)
        fixed (byte* d = dst)
        {
            byte* p = b, end = b + f.Length, end4 = end - 4;
            while (true)
            {
                // Fastest path (32-byte vectors): a window holding only digits and single spaces, starting at a
                // token; every token whose closing space lies in the window is decoded from one 32-bit read.
                if (Vector256.IsHardwareAccelerated)
                {
                    var space = Vector256.Create((byte)' ');
                    var zero = Vector256.Create((byte)'0');
                    var ten = Vector256.Create((byte)10);
                    while (p + 36 <= end)
                    {
                        var v = Vector256.Load(p);
                        var sp = Vector256.Equals(v, space).ExtractMostSignificantBits();
                        var dg = Vector256.LessThan(v - zero, ten).ExtractMostSignificantBits();
                        if ((sp | dg) != 0xFFFFFFFFu || (dg & 1) == 0 || (sp & (sp >> 1)) != 0 || sp == 0) break;
                        uint start = 0;
                        var bad = false;
                        for (var m = sp; m != 0; m &= m - 1)
                        {
                            var pos = (uint)BitOperations.TrailingZeroCount(m);
                            var len = pos - start;
                            var x = Unsafe.ReadUnaligned<uint>(p + start) ^ 0x30303030u;
                            var xs = x << (int)(32 - (len << 3));
                            var val = ((xs >> 8) & 0xFF) * 100 + ((xs >> 16) & 0xFF) * 10 + (xs >> 24);
                            if (len - 1 > 2u || val > 255 || n >= cap) { bad = true; break; }
                            d[n++] = (byte)val;
                            start = pos + 1;
                        }
                        p += start;
                        if (bad) break;
                    }
                }
                // Fast path (SWAR): a 1-3 digit token followed by one space, read as one 32-bit word.
                while (p <= end4)
                {
                    var x = Unsafe.ReadUnaligned<uint>(p) ^ 0x30303030u;          // digits -> 0..9 per byte
                    var nonDigit = (((x & 0x7F7F7F7Fu) + 0x76767676u) | x) & 0x80808080u; // high bit set where byte >= 10
                    var len = BitOperations.TrailingZeroCount(nonDigit) >> 3;     // digits before the first non-digit
                    if ((uint)(len - 1) >= 3u || ((x >> (len << 3)) & 0xFF) != (0x20u ^ 0x30u)) break;
                    var xs = x << (32 - (len << 3));                               // right-align the digits
                    var v = ((xs >> 8) & 0xFF) * 100 + ((xs >> 16) & 0xFF) * 10 + (xs >> 24);
                    if (v > 255) break;
                    if (n < cap) d[n] = (byte)v;
                    n++;
                    p += len + 1;
                }
                // Slow path: one token (runs of spaces, the last token, errors).
                while (p < end && (*p == (byte)' ' || *p == (byte)'\t')) p++;
                if (p >= end) break;
                var tok = p;
                var w = (uint)(*p - '0');
                if (w > 9) { badAt = (int)(tok - b); badKind = 1; return n; }
                p++;
                uint dd;
                while (p < end && (dd = (uint)(*p - '0')) <= 9)
                {
                    w = Math.Min(w * 10 + dd, 1000u);
                    p++;
                }
                if (p < end && *p != (byte)' ' && *p != (byte)'\t') { badAt = (int)(tok - b); badKind = 1; return n; }
                if (w > 255) { badAt = (int)(tok - b); badKind = 2; return n; }
                if (n < cap) d[n] = (byte)w;
                n++;
            }
        }
        return n;
    }

    private static bool TryPositiveInt(ReadOnlySpan<byte> f, out int v)
    {
        v = 0;
        if (f.Length is 0 or > 9) return false;
        foreach (var c in f)
        {
            var dgt = (uint)(c - '0');
            if (dgt > 9) return false;
            v = v * 10 + (int)dgt;
        }
        return v >= 1;
    }

    private static int NthFieldStart(ReadOnlySpan<byte> line, int n)
    {
        var p = 0;
        for (var i = 0; i < n; i++) p += line[p..].IndexOf((byte)',') + 1;
        return p;
    }

    /// <summary>1-based character column of byte offset <paramref name="off"/> (UTF-8 aware).</summary>
    private static int Col(ReadOnlySpan<byte> line, int off)
    {
        var c = 1;
        for (var i = 0; i < off && i < line.Length; i++) if ((line[i] & 0xC0) != 0x80) c++;
        return c + Math.Max(0, off - line.Length);
    }

    private static string Show(ReadOnlySpan<byte> tok)
    {
        const int max = 24;
        var s = tok.Length <= max ? Encoding.UTF8.GetString(tok) : Encoding.UTF8.GetString(tok[..max]) + "...";
        return "'" + s + "'";
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWs(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\r';

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        int a = 0, z = s.Length;
        while (a < z && IsWs(s[a])) a++;
        while (z > a && IsWs(s[z - 1])) z--;
        return s[a..z];
    }

    private static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> s)
    {
        var z = s.Length;
        while (z > 0 && IsWs(s[z - 1])) z--;
        return s[..z];
    }

    private static bool IsBlank(ReadOnlySpan<byte> s)
    {
        foreach (var c in s) if (!IsWs(c)) return false;
        return true;
    }
}
