using System.Net;
using System.Text;
using Fkd.Stages.Drawing;

namespace Fkd.Stages.Report;

/// <summary>
/// The report with its face tiles not yet drawn: markup, and tiles naming the training row (index in file
/// order) whose image each shows. Everything but the tiles is made from <see cref="TableDigest"/>s, which
/// hold no images; <see cref="Rows"/> are the few images a second pass over the table fetches, and
/// <see cref="Render"/> draws the tiles from them into the finished page.
/// </summary>
public sealed record ReportDraft(ImmutableArray<ReportDraft.Piece> Pieces)
{
    public abstract record Piece;

    public sealed record Markup(string Text) : Piece;

    /// <summary>A face tile (<see cref="ReportPictures.FaceTile"/> at scale 2) in a figure captioned <paramref name="Caption"/>.</summary>
    public sealed record Tile(int Row, float[] Coords, int Highlight, string Caption) : Piece;

    /// <summary>The training rows whose images the tiles need.</summary>
    public ImmutableSortedSet<int> Rows => [.. Pieces.OfType<Tile>().Select(t => t.Row)];

    public string Render(IReadOnlyDictionary<int, byte[]> pixels)
    {
        var sb = new StringBuilder();
        foreach (var p in Pieces)
            switch (p)
            {
                case Markup m: sb.Append(m.Text); break;
                case Tile t:
                    var px = pixels.TryGetValue(t.Row, out var v) ? v : throw new ArgumentException($"no pixels for training row {t.Row}", nameof(pixels));
                    sb.Append("<figure>");
                    ReportHtml.AppendImg(sb, ReportPictures.FaceTile(px, t.Coords, 2, t.Highlight), t.Caption);
                    sb.Append("<figcaption>").Append(WebUtility.HtmlEncode(t.Caption)).Append("</figcaption></figure>\n");
                    break;
            }
        return sb.ToString();
    }
}

/// <summary>A tiny HTML writer: text is always escaped, images are data URIs, face tiles are left to <see cref="ReportDraft.Render"/>.</summary>
internal sealed class ReportHtml
{
    private readonly ImmutableArray<ReportDraft.Piece>.Builder _pieces = ImmutableArray.CreateBuilder<ReportDraft.Piece>();
    private readonly StringBuilder _sb = new();

    public ReportHtml Raw(string s) { _sb.Append(s); return this; }
    public ReportHtml Text(string s) { _sb.Append(WebUtility.HtmlEncode(s)); return this; }
    public ReportHtml Img(byte[] png, string alt) { AppendImg(_sb, png, alt); return this; }

    public ReportHtml Tile(int row, float[] coords, string caption, int highlight = -1)
    {
        Cut();
        _pieces.Add(new ReportDraft.Tile(row, coords, highlight, caption));
        return this;
    }

    public ReportDraft ToDraft() { Cut(); return new ReportDraft(_pieces.ToImmutable()); }

    public static void AppendImg(StringBuilder sb, byte[] png, string alt) =>
        sb.Append("<img alt=\"").Append(WebUtility.HtmlEncode(alt)).Append("\" src=\"data:image/png;base64,")
          .Append(Convert.ToBase64String(png)).Append("\" />\n");

    private void Cut()
    {
        if (_sb.Length == 0) return;
        _pieces.Add(new ReportDraft.Markup(_sb.ToString()));
        _sb.Clear();
    }
}
