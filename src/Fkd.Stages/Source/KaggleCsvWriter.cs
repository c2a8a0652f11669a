using System.Buffers;
using System.Globalization;
using System.Text;

namespace Fkd.Stages.Source;

/// <summary>
/// Writes Kaggle's CSV files byte for byte in Kaggle's layout: UTF-8 without BOM, '\n' line
/// endings, coordinates in invariant culture with the shortest text that round-trips the float,
/// a missing coordinate as an empty field, pixels as 9,216 space-separated integers.
/// </summary>
public static class KaggleCsvWriter
{
    public static readonly string TrainingHeader = string.Join(',', Keypoints.Columns) + ",Image";
    public const string TestHeader = "ImageId,Image";
    public const string LookupHeader = "RowId,ImageId,FeatureName,Location";

    // Longest row: 30 coordinates (≤ 16 bytes each with comma) + 9,216 × "255 " + newline.
    private const int RowCapacity = 30 * 16 + Keypoints.PixelCount * 4 + 64;

    public static void WriteTraining(Stream stream, IEnumerable<Face> faces) =>
        WriteRows(stream, faces, TrainingHeader, (f, buf) =>
        {
            if (f.Coords.Length != Keypoints.CoordCount)
                throw new ArgumentException($"face {f.Id}: {f.Coords.Length} coordinates, expected {Keypoints.CoordCount}");
            var n = 0;
            foreach (var c in f.Coords)
            {
                if (!float.IsNaN(c)) n += FormatCoord(c, buf[n..]);
                buf[n++] = (byte)',';
            }
            return n;
        });

    public static void WriteTest(Stream stream, IEnumerable<Face> faces) =>
        WriteRows(stream, faces, TestHeader, (f, buf) =>
        {
            if (!f.Id.TryFormat(buf, out var n, default, CultureInfo.InvariantCulture)) throw new InvalidOperationException();
            buf[n++] = (byte)',';
            return n;
        });

    /// <summary>Writes bytes into the row buffer, returning how many; the row's leading fields before Image.</summary>
    private delegate int RowPrefix(Face face, Span<byte> buffer);

    /// <summary>Header, then per face: its leading fields, the 9,216 pixels and a newline, from one pooled buffer.</summary>
    private static void WriteRows(Stream stream, IEnumerable<Face> faces, string header, RowPrefix prefix)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(faces);
        var buf = ArrayPool<byte>.Shared.Rent(RowCapacity);
        try
        {
            WriteLine(stream, header);
            foreach (var f in faces)
            {
                var n = prefix(f, buf);
                n += FormatPixels(f, buf.AsSpan(n));
                buf[n++] = (byte)'\n';
                stream.Write(buf, 0, n);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buf); }
    }

    public static void WriteLookup(Stream stream, IEnumerable<LookupRequest> rows)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(rows);
        using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        w.Write(LookupHeader);
        w.Write('\n');
        foreach (var r in rows)
        {
            w.Write(r.RowId.ToString(CultureInfo.InvariantCulture));
            w.Write(',');
            w.Write(r.ImageId.ToString(CultureInfo.InvariantCulture));
            w.Write(',');
            w.Write(r.FeatureName);
            w.Write(",\n");
        }
    }

    /// <summary>Shortest round-trip text of a coordinate, invariant culture (e.g. "66.03356").</summary>
    public static string FormatCoord(float c)
    {
        Span<byte> b = stackalloc byte[32];
        var n = FormatCoord(c, b);
        return Encoding.ASCII.GetString(b[..n]);
    }

    private static int FormatCoord(float c, Span<byte> dst)
    {
        if (!c.TryFormat(dst, out var n, "R", CultureInfo.InvariantCulture))
            throw new InvalidOperationException("coordinate does not fit");
        return n;
    }

    // "v " for every grey level, 4 bytes per entry (padded), and its length.
    private static readonly byte[] PixelText = BuildPixelText(out PixelTextLength);
    private static readonly byte[] PixelTextLength;

    private static byte[] BuildPixelText(out byte[] lengths)
    {
        var t = new byte[256 * 4];
        lengths = new byte[256];
        for (var v = 0; v < 256; v++)
        {
            var s = v.ToString(CultureInfo.InvariantCulture) + " ";
            Encoding.ASCII.GetBytes(s, t.AsSpan(v * 4));
            lengths[v] = (byte)s.Length;
        }
        return t;
    }

    private static int FormatPixels(Face f, Span<byte> dst)
    {
        var px = f.Pixels;
        if (px.Length != Keypoints.PixelCount)
            throw new ArgumentException($"face {f.Id}: {px.Length} pixels, expected {Keypoints.PixelCount}");
        if (dst.Length < px.Length * 4 + 4) throw new ArgumentException("buffer too small");
        var text = PixelText;
        var lens = PixelTextLength;
        ref var d0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst);
        var n = 0;
        foreach (var v in px)
        {
            // Copy 4 bytes at once (the entry is padded), advance by the real length.
            System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref System.Runtime.CompilerServices.Unsafe.Add(ref d0, n),
                System.Runtime.CompilerServices.Unsafe.ReadUnaligned<uint>(ref text[v * 4]));
            n += lens[v];
        }
        return n - 1; // no trailing space
    }

    private static void WriteLine(Stream stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text + "\n");
        stream.Write(bytes, 0, bytes.Length);
    }
}
