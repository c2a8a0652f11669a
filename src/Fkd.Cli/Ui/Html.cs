using System.Globalization;
using System.Net;
using System.Text;

namespace Fkd.Cli.Ui;

/// <summary>Small pieces of server-rendered HTML: one stylesheet inline, no scripts, nothing fetched from elsewhere.</summary>
public static class Html
{
    public static string E(object? text) => WebUtility.HtmlEncode(Convert.ToString(text, CultureInfo.InvariantCulture) ?? "");

    public static string F(double v, string format = "F3") => double.IsNaN(v) ? "–" : v.ToString(format, CultureInfo.InvariantCulture);

    public static string Url(string path, params (string Key, string Value)[] query) =>
        path + (query.Length == 0 ? "" : "?" + string.Join("&", query.Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value)}")));

    public static string Page(string title, string body, string? store = null) => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}} · Fkd.Flow</title>
        <style>
        body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2530; background: #f6f7f9; }
        header { background: #1d2530; color: #fff; padding: 10px 20px; } header a { color: #fff; margin-right: 16px; text-decoration: none; }
        main { padding: 16px 20px; } h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 24px; }
        table { border-collapse: collapse; background: #fff; } td, th { padding: 4px 10px; border-bottom: 1px solid #e3e6ea; text-align: left; vertical-align: top; }
        th { background: #eef0f3; } .num { text-align: right; font-variant-numeric: tabular-nums; }
        .computed { color: #1a7f37; } .cached { color: #57606a; } .failed { color: #cf222e; font-weight: bold; } .cancelled { color: #9a6700; }
        .muted { color: #57606a; } code { font-size: 12px; } img { max-width: 100%; background: #fff; border: 1px solid #e3e6ea; }
        </style></head><body>
        <header><a href="/"><b>Fkd.Flow</b></a><a href="/">runs</a><span class="muted">{{E(store)}}</span></header>
        <main><h1>{{E(title)}}</h1>
        {{body}}
        </main></body></html>
        """;

    public static string Table(IEnumerable<string> head, IEnumerable<IEnumerable<string>> rows, string? id = null)
    {
        var sb = new StringBuilder(id is null ? "<table>" : $"<table id=\"{E(id)}\">");
        sb.Append("<tr>");
        foreach (var h in head) sb.Append("<th>").Append(h).Append("</th>");
        sb.Append("</tr>");
        foreach (var r in rows)
        {
            sb.Append("<tr>");
            foreach (var c in r) sb.Append(c.StartsWith("<td", StringComparison.Ordinal) ? c : $"<td>{c}</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</table>").ToString();
    }

    public static string Num(string text) => $"<td class=\"num\">{text}</td>";
}
