using System.Text;
using CsCheck;
using Fkd.Stages.Parse;

namespace Fkd.Stages.Tests.Parse;

/// <summary>The pixel loop has a word-at-a-time fast path and a byte loop; both must agree with a plain reference.</summary>
public sealed class PixelParsingTests
{
    private static ParseResult ReadText(string text) =>
        KaggleCsvReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), "mem.csv", new ParseOptions(ParseMode.Quarantine, Threads: 1));

    [Fact]
    public void Random_pixels_with_random_spacing_round_trip()
    {
        Gen.Select(Gen.Byte.Array[9216], Gen.Int[1, 3].Array[9216], Gen.Int[0, 3], Gen.Int[0, 2])
            .Sample((pix, gaps, lead, zeros) =>
            {
                var sb = new StringBuilder("Image\n").Append(' ', lead);
                for (var i = 0; i < pix.Length; i++)
                {
                    if (i > 0) sb.Append(' ', gaps[i]);
                    sb.Append(new string('0', i % 97 == 0 ? zeros : 0)).Append(pix[i]);
                }
                sb.Append(' ', lead).Append('\n');
                var r = ReadText(sb.ToString());
                return r.Errors.IsEmpty && r.Rows.Length == 1 && r.Rows[0].Pixels.AsSpan().SequenceEqual(pix);
            }, iter: 200);
    }

    [Fact]
    public void Random_single_spaced_pixels_round_trip()
    {
        // Kaggle's own spacing: exercises the vector path, with an occasional leading-zero token to leave it.
        Gen.Select(Gen.Byte.Array[9216], Gen.Int[0, 9215], Gen.Bool)
            .Sample((pix, zeroAt, crlf) =>
            {
                var tokens = pix.Select(b => b.ToString()).ToArray();
                tokens[zeroAt] = "00" + tokens[zeroAt];
                var text = "Image\n" + string.Join(' ', tokens) + (crlf ? "\r\n" : "\n");
                var r = ReadText(text);
                return r.Errors.IsEmpty && r.Rows.Length == 1 && r.Rows[0].Pixels.AsSpan().SequenceEqual(pix);
            }, iter: 200);
    }

    [Theory]
    [InlineData(0, "256", "pixel in 0..255")]
    [InlineData(9215, "256", "pixel in 0..255")]
    [InlineData(4000, "1000", "pixel in 0..255")]
    [InlineData(10, "99999999999", "pixel in 0..255")]
    [InlineData(10, "1,5", "integer pixel")]
    [InlineData(10, "x", "integer pixel")]
    [InlineData(9215, "2.", "integer pixel")]
    public void Bad_pixel_anywhere_is_found(int at, string token, string expected)
    {
        var pix = Enumerable.Repeat("200", 9216).ToArray();
        pix[at] = token;
        var text = "Image\n" + string.Join(' ', pix) + "\n";
        var r = ReadText(text);
        var e = Assert.Single(r.Errors);
        if (token.Contains(','))
            Assert.Equal(("field 2", "1 fields"), (e.Field, e.Expected)); // a comma splits the image field
        else
        {
            Assert.Equal(("Image", expected, 1 + 4 * at), (e.Field, e.Expected, e.Column));
            Assert.StartsWith($"'{(token.Length > 24 ? token[..24] + "..." : token)}' at pixel {at + 1}", e.Found);
        }
    }
}
