using System.Globalization;
using System.Net;
using System.Text;
using Fkd.Flow.Exec;

namespace Fkd.Cli.Reporting;

/// <summary>
/// A run report as one self-contained HTML file (no scripts, no external files: loss plots are
/// embedded as data URIs), readable offline and safe to attach to a ticket.
/// </summary>
public static class ReportHtml
{
    public static string Render(RunReport r)
    {
        var run = r.Run;
        var sb = new StringBuilder();
        sb.Append($$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>{{E(run.Pipeline)}} — run {{E(run.Id)}}</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
            table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
            th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}.best{background:#e6f4e6;font-weight:600}
            .failed{color:#b00}.cached{color:#666}code{font-size:12px}.plots{display:flex;flex-wrap:wrap;gap:1em}.plots figure{margin:0}
            </style></head><body>
            <h1>{{E(run.Pipeline)}} — run {{E(run.Id)}}</h1>
            <p>{{(run.Ok ? "finished" : "<span class=\"failed\">failed</span>")}} in {{F(run.Seconds, 1)}} s, started {{E(run.Started.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture))}};
            pipeline <code>{{E(run.PipelineFile)}}</code>{{(run.Sets.Length > 0 ? "; settings " + string.Join(", ", run.Sets.Select(s => $"<code>{E(s)}</code>")) : "")}}.
            {{(run.Error is { } err ? $"<br><span class=\"failed\">{E(err)}</span>" : "")}}</p>

            """);

        if (r.Scores.Length > 0)
        {
            var ranked = r.Ranked.ToList();
            sb.Append("<h2>Scores (RMSE, pixels; best first)</h2>\n<table><tr><th>stage</th><th>RMSE px</th><th>coordinates</th></tr>\n");
            foreach (var s in ranked)
                sb.Append($"<tr{(s == ranked[0] ? " class=\"best\"" : "")}><td>{E(s.Stage)}</td><td class=\"n\">{F(s.Rmse, 4)}</td><td class=\"n\">{s.Coordinates:N0}</td></tr>\n");
            sb.Append("</table>\n");
            var keypoints = ranked.SelectMany(s => s.PerKeypoint.Select(k => k.Keypoint)).Distinct().ToList();
            sb.Append("<h3>Per keypoint</h3>\n<table><tr><th>keypoint</th>");
            foreach (var s in ranked) sb.Append($"<th>{E(s.Stage)}</th>");
            sb.Append("</tr>\n");
            foreach (var k in keypoints)
            {
                sb.Append($"<tr><td>{E(k)}</td>");
                foreach (var s in ranked)
                    sb.Append($"<td class=\"n\">{(s.PerKeypoint.FirstOrDefault(p => p.Keypoint == k) is { } p ? F(p.Rmse, 3) : "")}</td>");
                sb.Append("</tr>\n");
            }
            sb.Append("</table>\n");
        }

        var plots = r.Stages.Where(s => s.Files.Contains(RunReport.LossPlotFile) && File.Exists(r.EntryFile(s, RunReport.LossPlotFile))).ToList();
        if (plots.Count > 0)
        {
            sb.Append("<h2>Training</h2>\n<div class=\"plots\">\n");
            foreach (var s in plots)
            {
                var png = Convert.ToBase64String(File.ReadAllBytes(r.EntryFile(s, RunReport.LossPlotFile)));
                var facts = string.Join(", ", s.Facts.Select(f => $"{f.Key} {f.Value}"));
                sb.Append($"<figure><img alt=\"loss curve of {E(s.Name)}\" width=\"480\" src=\"data:image/png;base64,{png}\"><figcaption><b>{E(s.Name)}</b>: {E(facts)}</figcaption></figure>\n");
            }
            sb.Append("</div>\n");
        }

        sb.Append("<h2>Stages</h2>\n<table><tr><th>stage</th><th>kind</th><th>entry</th><th>status</th><th>rows</th><th>this run s</th><th>compute s</th><th>outcome</th></tr>\n");
        foreach (var s in r.Stages)
        {
            var cls = s.Status is StageStatus.Failed or StageStatus.Cancelled ? " class=\"failed\"" : s.Status is StageStatus.Cached or StageStatus.Pulled ? " class=\"cached\"" : "";
            sb.Append($"<tr{cls}><td>{E(s.Name)}</td><td>{E(s.Kind)}</td><td><code>{E(Short(s.Key))}</code></td><td>{E(s.StatusText)}</td>" +
                      $"<td class=\"n\">{s.Rows:N0}</td><td class=\"n\">{F(s.RunSeconds, 2)}</td><td class=\"n\">{(s.ComputeSeconds is { } c ? F(c, 2) : "gone")}</td>" +
                      $"<td>{E(s.Error ?? string.Join(", ", s.Facts.Select(f => $"{f.Key}={f.Value}")))}</td></tr>\n");
        }
        sb.Append("</table>\n</body></html>\n");
        return sb.ToString();
    }

    public static string Short(string key) => key.Length > 12 ? key[..12] : key;

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string F(double v, int digits) =>
        double.IsNaN(v) ? "–" : v.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
