using System.IO.Hashing;

namespace Fkd.Stages.Faces;

/// <summary>
/// Content hash of an image's pixels: XxHash128 (seed 0) of the raw bytes. Two images with the
/// same pixels, byte for byte, have the same hash; review files (drop/fixes lists) name images
/// by <see cref="Hex"/> of this hash so they survive re-ordering and re-numbering of rows.
/// </summary>
public static class ImageHash
{
    public static UInt128 Of(ReadOnlySpan<byte> pixels) => XxHash128.HashToUInt128(pixels);

    /// <summary>32 lowercase hex digits, most significant first (the same text as the hex of
    /// XxHash128's canonical big-endian digest bytes).</summary>
    public static string Hex(UInt128 h) => h.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    public static string HexOf(ReadOnlySpan<byte> pixels) => Hex(Of(pixels));
}
