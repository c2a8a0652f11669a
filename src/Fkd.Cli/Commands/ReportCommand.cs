using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Fkd.Cli.Reporting;
using Fkd.Flow.Exec;
using Fkd.Flow.Runs;

namespace Fkd.Cli.Commands;

/// <summary>
/// <c>report</c>: what a run did and measured — every stage's status, time, rows and outcome facts,
/// every RMSE table ranked, and the training stages' figures — as text, one JSON object, or a
/// self-contained HTML page with the loss curves.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "run id (or unique prefix) or 'latest'", DefaultValueFactory = _ => "latest" };
        var html = new Option<string?>("--html") { Description = "also write a self-contained HTML report to this file" };
        var json = Common.JsonOption();
        var cmd = new Command("report", "summarise a run: stages, scores ranked, training figures (text, --json or --html FILE)") { run, html, json };
        cmd.SetAction(async (pr, ct) =>
        {
            var store = Common.Store(pr);
            var id = pr.GetValue(run)!;
            var record = RunRecord.Find(store, id) ?? throw new UsageException(
                id == "latest" ? $"no run recorded in store '{store.Root}' (run a pipeline first)" : $"no run '{id}' in store '{store.Root}' (see 'ls runs')");
            var report = await RunReport.LoadAsync(store, record, ct);
            if (pr.GetValue(html) is { } path)
            {
                var full = Path.GetFullPath(path);
                if (Path.GetDirectoryName(full) is { } dir) Directory.CreateDirectory(dir);
                await File.WriteAllTextAsync(full + ".tmp", ReportHtml.Render(report), ct);
                File.Move(full + ".tmp", full, overwrite: true);
                System.Console.Error.WriteLine($"wrote {full}");
            }
            if (pr.GetValue(json)) Common.PrintJson(ToJson(report));
            else WriteText(report, System.Console.Out);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    public static JsonObject ToJson(RunReport r)
    {
        var stages = new JsonArray();
        foreach (var s in r.Stages)
        {
            var facts = new JsonObject();
            foreach (var (k, v) in s.Facts) facts[k] = v;
            stages.Add(new JsonObject
            {
                ["name"] = s.Name, ["kind"] = s.Kind, ["key"] = s.Key, ["status"] = s.StatusText, ["rows"] = s.Rows,
                ["run_seconds"] = Math.Round(s.RunSeconds, 3), ["compute_seconds"] = s.ComputeSeconds is { } c ? Math.Round(c, 3) : null,
                ["facts"] = facts, ["error"] = s.Error,
            });
        }
        var scores = new JsonArray();
        foreach (var s in r.Ranked)
        {
            var per = new JsonObject();
            foreach (var k in s.PerKeypoint) per[k.Keypoint] = Num(k.Rmse);
            scores.Add(new JsonObject { ["stage"] = s.Stage, ["rmse"] = Num(s.Rmse), ["coordinates"] = s.Coordinates, ["per_keypoint"] = per });
        }
        return new JsonObject
        {
            ["run"] = r.Run.Id, ["pipeline"] = r.Run.Pipeline, ["pipeline_file"] = r.Run.PipelineFile, ["ok"] = r.Run.Ok,
            ["error"] = r.Run.Error, ["started"] = r.Run.Started.ToString("O", CultureInfo.InvariantCulture), ["seconds"] = Math.Round(r.Run.Seconds, 3),
            ["sets"] = new JsonArray([.. r.Run.Sets.Select(s => (JsonNode?)JsonValue.Create(s))]),
            ["computed"] = r.Stages.Count(s => s.Status == StageStatus.Computed), ["cached"] = r.Stages.Count(s => s.Status == StageStatus.Cached),
            ["pulled"] = r.Stages.Count(s => s.Status == StageStatus.Pulled),
            ["scores"] = scores, ["stages"] = stages,
        };
    }

    public static void WriteText(RunReport r, TextWriter o)
    {
        var run = r.Run;
        o.WriteLine($"run      {run.Id}  {run.Pipeline} ({run.PipelineFile})");
        o.WriteLine($"result   {(run.Ok ? "ok" : "FAILED")} in {run.Seconds:F1} s, {r.Stages.Count(s => s.Status == StageStatus.Computed)} computed, {r.Stages.Count(s => s.Status == StageStatus.Cached)} cached" +
                    (r.Stages.Count(s => s.Status == StageStatus.Pulled) is > 0 and var pulled ? $", {pulled} pulled" : "") +
                    (run.Error is { } e ? $": {e}" : ""));
        foreach (var s in run.Sets) o.WriteLine($"set      {s}");
        if (r.Scores.Length > 0)
        {
            o.WriteLine();
            o.WriteLine("scores (RMSE px, best first)");
            var width = Math.Max(8, r.Scores.Max(s => s.Stage.Length));
            foreach (var s in r.Ranked)
                o.WriteLine($"  {s.Stage.PadRight(width)} {(double.IsNaN(s.Rmse) ? "-" : s.Rmse.ToString("F4", CultureInfo.InvariantCulture)),8}  ({s.Coordinates:N0} coordinates)");
        }
        o.WriteLine();
        o.WriteLine("stages");
        var w = Math.Max(6, r.Stages.Max(s => s.Name.Length));
        foreach (var s in r.Stages)
        {
            var time = s.Status == StageStatus.Cached ? (s.ComputeSeconds is { } c ? $"(made in {c:F1} s)" : "(entry gone)") : $"{s.RunSeconds:F1} s";
            var facts = s.Error ?? string.Join(", ", s.Facts.Select(f => $"{f.Key}={Clip(f.Value)}"));
            o.WriteLine($"  {s.Name.PadRight(w)} {ReportHtml.Short(s.Key)} {s.StatusText,-9} {s.Rows,9:N0} rows {time,-18} {facts}");
        }
    }

    /// <summary>Long fact values (column lists) cut for the terminal; --json and --html keep them whole.</summary>
    private static string Clip(string v) => v.Length <= 48 ? v : v[..47] + "…";

    private static JsonNode? Num(double v) => double.IsNaN(v) ? null : JsonValue.Create(Math.Round(v, 6));
}
