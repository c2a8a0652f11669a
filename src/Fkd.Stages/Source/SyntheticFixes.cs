using System.Globalization;
using System.Text;

namespace Fkd.Stages.Source;

/// <summary>
/// The "hand review" files a person would write after looking at the synthetic training set:
/// drop.csv (images to discard: the blank ones) and fixes.csv (true coordinates of each wrong
/// label). Images are named by <see cref="ImageHash.Hex"/> of their pixels.
/// </summary>
public static class SyntheticFixes
{
    public const string DropHeader = "image_hash,reason";
    public const string FixesHeader = "image_hash,keypoint,x,y,reason";

    /// <summary>drop.csv text: one row per blank image, in row order.</summary>
    public static string DropCsv(SyntheticDataset d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var sb = new StringBuilder(DropHeader).Append('\n');
        foreach (var row in d.Planted.BlankRows)
        {
            var px = d.Train[row].Pixels;
            sb.Append(ImageHash.HexOf(px)).Append(",blank image (constant grey ").Append(px[0].ToString(CultureInfo.InvariantCulture)).Append(", no face)\n");
        }
        return sb.ToString();
    }

    /// <summary>fixes.csv text: one row per wrong keypoint (keypoint = Kaggle name, x/y = true coordinates).</summary>
    public static string FixesCsv(SyntheticDataset d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var sb = new StringBuilder(FixesHeader).Append('\n');
        foreach (var w in d.Planted.WrongLabels)
        {
            sb.Append(ImageHash.HexOf(d.Train[w.Row].Pixels)).Append(',')
              .Append(Keypoints.Names[w.Keypoint]).Append(',')
              .Append(KaggleCsvWriter.FormatCoord(w.TrueX)).Append(',')
              .Append(KaggleCsvWriter.FormatCoord(w.TrueY)).Append(',')
              .Append(w.Reason.Replace(',', ';')).Append('\n');
        }
        return sb.ToString();
    }

    public static void WriteDrop(Stream stream, SyntheticDataset d) => Write(stream, DropCsv(d));

    public static void WriteFixes(Stream stream, SyntheticDataset d) => Write(stream, FixesCsv(d));

    private static void Write(Stream stream, string text)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var bytes = new UTF8Encoding(false).GetBytes(text);
        stream.Write(bytes, 0, bytes.Length);
    }
}
