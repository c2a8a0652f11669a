using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Fkd.Cli.Commands;
using Fkd.Cli.Reporting;
using Fkd.Flow.Exec;
using Fkd.Flow.Keys;
using Fkd.Flow.Runs;
using Fkd.Flow.Store;
using Fkd.Stages.Faces;
using static Fkd.Cli.Ui.Html;

namespace Fkd.Cli.Ui;

/// <summary>The pages of <c>ui</c>, each a function of the store: runs, one run, a comparison, an entry, the worst predictions.</summary>
public static class Pages
{
    public static string Runs(ArtifactStore store)
    {
        var runs = RunRecord.All(store).Reverse().ToList();
        if (runs.Count == 0) return Page("Runs", $"<p>No runs in {E(store.Root)} yet: <code>fkd run pipelines/full.json</code>.</p>", store.Root);
        // Each run's best score, from its evaluate stages' manifests (an outcome fact: no table to read).
        var best = runs.ToDictionary(r => r.Id, r => r.Stages.Where(s => s.Key.Length == 64)
            .Select(s => store.EntryManifest(s.Key).Bind(m => m.Material.Kind == "evaluate" && m.Facts.TryGetValue("rmse", out var v)
                && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? LanguageExt.Prelude.Some(d) : LanguageExt.Option<double>.None))
            .Where(o => o.IsSome).Select(o => o.IfNone(double.NaN)).DefaultIfEmpty(double.NaN).Min());
        var overall = best.Values.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Min();
        var rows = runs.Select(r => new[]
        {
            $"<input type=\"checkbox\" name=\"run\" value=\"{E(r.Id)}\">",
            $"<a href=\"/runs/{E(r.Id)}\">{E(r.Id)}</a>", E(r.Pipeline),
            $"<span class=\"{(r.Ok ? "computed" : "failed")}\">{(r.Ok ? "ok" : "failed")}</span>",
            E(r.Started.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)), Num($"{F(r.Seconds, "F1")} s"),
            Num(r.Stages.Count(s => s.Status == StageStatus.Computed).ToString(CultureInfo.InvariantCulture)),
            Num(r.Stages.Count(s => s.Status == StageStatus.Cached).ToString(CultureInfo.InvariantCulture)),
            double.IsNaN(best[r.Id]) ? "<td></td>" : best[r.Id] == overall ? $"<td class=\"num best\"><b>{F(best[r.Id])}</b> (best)</td>" : Num(F(best[r.Id])),
            E(string.Join(" ", r.Sets)),
        });
        var body = $"""
            <form action="/compare" method="get">
            {Table(["", "run", "pipeline", "status", "started", "took", "computed", "cached", "best RMSE px", "--set"], rows, "runs")}
            <p><button type="submit">compare the runs ticked</button></p></form>
            """;
        return Page("Runs", body, store.Root);
    }

    public static async Task<string?> Run(ArtifactStore store, string id, CancellationToken ct)
    {
        if (RunRecord.Find(store, id) is not { } run) return null;
        var report = await RunReport.LoadAsync(store, run, ct);
        var sb = new StringBuilder();
        sb.Append($"<p>Pipeline <b>{E(run.Pipeline)}</b> ({E(run.PipelineFile)}), started {E(run.Started.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))}, took {F(run.Seconds, "F1")} s, ")
          .Append(run.Ok ? "<span class=\"computed\">ok</span>" : $"<span class=\"failed\">failed: {E(run.Error)}</span>").Append("</p>");
        if (run.Sets.Length > 0) sb.Append($"<p>--set {E(string.Join(" --set ", run.Sets))}</p>");
        sb.Append("<h2>Stages</h2>").Append(StageGraph.Svg(store, run));
        sb.Append(Table(["stage", "kind", "status", "rows", "this run", "entry"], report.Stages.Select(s => new[]
        {
            E(s.Name), E(s.Kind), $"<span class=\"{s.StatusText}\">{s.StatusText}</span>{(s.Error is null ? "" : " " + E(s.Error))}",
            Num(s.Rows.ToString("N0", CultureInfo.InvariantCulture)), Num($"{F(s.RunSeconds, "F2")} s"),
            s.Key.Length == 0 ? "" : $"<a href=\"/entries/{E(s.Key)}\"><code>{E(s.Key[..12])}</code></a>",
        }), "stages"));
        if (report.Scores.Length > 0)
        {
            sb.Append("<h2>Scores</h2>").Append(Table(["rank", "evaluate stage", "RMSE px", "coordinates", "worst faces"], report.Ranked.Select((sc, i) => new[]
            {
                Num((i + 1).ToString(CultureInfo.InvariantCulture)), E(sc.Stage), Num(F(sc.Rmse)), Num(sc.Coordinates.ToString("N0", CultureInfo.InvariantCulture)),
                run.Stages.FirstOrDefault(s => s.Name == sc.Stage) is { Key.Length: > 0 } st ? $"<a href=\"/entries/{E(st.Key)}/worst\">worst 16</a>" : "",
            }), "scores"));
            foreach (var sc in report.Ranked)
                sb.Append($"<h2>Per keypoint: {E(sc.Stage)}</h2>").Append(Bars(sc.PerKeypoint.Select(k => (k.Keypoint, k.Rmse))));
        }
        foreach (var s in report.Stages.Where(s => s.Files.Contains(RunReport.LossPlotFile)))
        {
            sb.Append($"<h2>Training: {E(s.Name)}</h2><img alt=\"loss curves of {E(s.Name)}\" src=\"/entries/{E(s.Key)}/files/{RunReport.LossPlotFile}\">");
            sb.Append(Table(["fact", "value"], s.Facts.Select(f => new[] { E(f.Key), E(f.Value) })));
        }
        foreach (var s in report.Stages.Where(s => s.Files.Contains("report.html")))
            sb.Append($"<h2>Data report</h2><p><a href=\"/entries/{E(s.Key)}/files/report.html\">the EDA report of stage {E(s.Name)}</a></p>");
        return Page($"Run {run.Id}", sb.ToString(), store.Root);
    }

    /// <summary>Horizontal bars, one per keypoint, scaled to the largest value.</summary>
    public static string Bars(IEnumerable<(string Label, double Value)> items)
    {
        var list = items.ToList();
        var max = list.Select(i => i.Value).Where(v => !double.IsNaN(v)).DefaultIfEmpty(1).Max();
        var sb = new StringBuilder($"<svg class=\"bars\" width=\"560\" height=\"{list.Count * 18 + 4}\" role=\"img\">");
        for (var i = 0; i < list.Count; i++)
        {
            var (label, v) = list[i];
            var w = double.IsNaN(v) || max <= 0 ? 0 : 300 * v / max;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{i * 18 + 13}\" font-size=\"11\">{E(label)}</text>")
              .Append(CultureInfo.InvariantCulture, $"<rect x=\"190\" y=\"{i * 18 + 3}\" width=\"{w:F1}\" height=\"12\" fill=\"#3b6fb6\"></rect>")
              .Append(CultureInfo.InvariantCulture, $"<text x=\"{196 + w:F1}\" y=\"{i * 18 + 13}\" font-size=\"11\">{F(v)}</text>");
        }
        return sb.Append("</svg>").ToString();
    }

    public static async Task<string> Compare(ArtifactStore store, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var runs = ids.Select(id => RunRecord.Find(store, id) ?? throw new KeyNotFoundException($"no run '{id}'")).ToList();
        if (runs.Count < 2) return Page("Compare", "<p>Tick two or more runs on the <a href=\"/\">runs page</a>.</p>", store.Root);
        var head = new[] { "" }.Concat(runs.Select(r => $"<a href=\"/runs/{E(r.Id)}\">{E(r.Id)}</a><br><span class=\"muted\">{E(r.Pipeline)}</span>")).ToList();
        var sb = new StringBuilder();

        // Parameters that differ, stage by stage, from each entry's key material (defaults included).
        var diffs = new List<IEnumerable<string>>();
        foreach (var stage in runs.SelectMany(r => r.Stages.Select(s => s.Name)).Distinct())
        {
            var pars = runs.Select(r => r.Stages.FirstOrDefault(s => s.Name == stage) is { Key.Length: > 0 } s
                ? store.EntryManifest(s.Key).Map(m => JsonNode.Parse(m.Material.Params)!.AsObject()).IfNone(() => new JsonObject()) : null).ToList();
            var names = pars.Where(p => p is not null).SelectMany(p => p!.Select(kv => kv.Key)).Distinct().Order(StringComparer.Ordinal);
            foreach (var n in names)
            {
                var values = pars.Select(p => p?[n] is { } v ? CanonicalJson.Write(v) : "–").ToList();
                if (values.Distinct().Count() > 1) diffs.Add(new[] { $"<code>{E(stage)}.{E(n)}</code>" }.Concat(values.Select(v => E(v))));
            }
        }
        sb.Append("<h2>Parameters that differ</h2>").Append(diffs.Count == 0 ? "<p>None: the runs share every parameter.</p>" : Table(head, diffs, "param-diffs"));

        var reports = new List<RunReport>();
        foreach (var r in runs) reports.Add(await RunReport.LoadAsync(store, r, ct));
        var stages = reports.SelectMany(r => r.Scores.Select(s => s.Stage)).Distinct().ToList();
        sb.Append("<h2>Scores (RMSE px)</h2>").Append(Table(head, stages.Select(st =>
            new[] { E(st) }.Concat(reports.Select(r => r.Scores.FirstOrDefault(s => s.Stage == st) is { } sc ? Num(F(sc.Rmse)) : "–"))), "scores"));
        foreach (var st in stages)
        {
            var first = reports[0].Scores.FirstOrDefault(s => s.Stage == st);
            if (first is null) continue;
            var rows = first.PerKeypoint.Select(k => new[] { E(k.Keypoint), Num(F(k.Rmse)) }.Concat(reports.Skip(1).Select(r =>
                r.Scores.FirstOrDefault(s => s.Stage == st)?.PerKeypoint.FirstOrDefault(x => x.Keypoint == k.Keypoint) is { } o
                    ? Num($"{F(o.Rmse)} ({(o.Rmse - k.Rmse >= 0 ? "+" : "")}{F(o.Rmse - k.Rmse)})") : "–")));
            sb.Append($"<h2>Per keypoint: {E(st)} (change from the first run)</h2>").Append(Table(["keypoint", .. head.Skip(1)], rows, "keypoint-deltas"));
        }
        return Page("Compare runs", sb.ToString(), store.Root);
    }

    public static async Task<string?> Entry(ArtifactStore store, string key, CancellationToken ct)
    {
        if (store.EntryManifest(key).Case is not Manifest m) return null;
        var sb = new StringBuilder();
        sb.Append(Table(["", ""], [
            ["key", $"<code>{E(m.Key)}</code>"], ["stage", E(m.Stage)], ["kind", $"{E(m.Material.Kind)} v{m.Material.Version}"],
            ["rows", E(m.Rows.ToString("N0", CultureInfo.InvariantCulture))], ["computed", E(m.Created.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))],
            ["took", $"{F(m.Seconds, "F2")} s"]], "manifest"));
        sb.Append("<h2>Key material</h2>").Append(Table(["part", "value"], new List<string[]>
            {
                new[] { "params", $"<code>{E(m.Material.Params)}</code>" }, new[] { "facts", $"<code>{E(m.Material.Facts)}</code>" },
            }.Concat(m.Material.Inputs.Select(i => new[] { $"input {E(i.Key)}", InputLink(i.Value) })), "key-material"));
        sb.Append("<h2>Files</h2>").Append(Table(["file", "bytes", "rows", "xxh128"], m.Files.Select(f => new[]
        {
            $"<a href=\"/entries/{E(m.Key)}/files/{Uri.EscapeDataString(f.Name)}\">{E(f.Name)}</a>", Num(f.Bytes.ToString("N0", CultureInfo.InvariantCulture)),
            Num(f.Rows?.ToString("N0", CultureInfo.InvariantCulture) ?? ""), $"<code>{E(f.Xxh128[..16])}…</code>",
        }), "files"));
        if (ScoredFaces.IsScored(m)) sb.Append($"<p><a href=\"/entries/{E(m.Key)}/worst\">the 16 worst predicted faces</a></p>");
        foreach (var f in m.Files.Where(f => f.Name.EndsWith(".parquet", StringComparison.Ordinal)))
        {
            var path = Path.Combine(store.EntryPath(m.Key), f.Name);
            sb.Append($"<h2>{E(f.Name)}</h2>");
            await using var reader = await Parquet.ParquetReader.CreateAsync(path, cancellationToken: ct);
            var fields = reader.Schema.GetDataFields();
            sb.Append("<p class=\"muted\">schema: ").Append(E(string.Join(", ", fields.Select(d => $"{d.Name} {d.ClrType.Name}")))).Append("</p>");
            if (fields.Any(d => d.Name == "image"))
            {
                var rows = (await FaceTable.ReadAsync(path, ct)).Take(10);
                sb.Append(Table(["id", "line", "image_hash", "keypoints labelled", "tags"], rows.Select(r => new[]
                {
                    Num(r.Id.ToString(CultureInfo.InvariantCulture)), Num(r.Line.ToString(CultureInfo.InvariantCulture)), $"<code>{E(r.Hash[..12])}</code>",
                    Num(r.Face.LabelledKeypoints.ToString(CultureInfo.InvariantCulture)), E(string.Join(" ", r.Tags.Select(t => $"{t.Key}={t.Value}"))),
                }), "first-rows"));
                sb.Append($"<p><img alt=\"faces of {E(f.Name)}\" src=\"{Url($"/entries/{m.Key}/grid.png", ("file", f.Name))}\"></p>");
            }
        }
        return Page($"Entry {m.Key[..12]} ({m.Stage})", sb.ToString(), store.Root);
    }

    private static string InputLink(string key) =>
        KeyMaterial.EntryRefs(key).ToList() is { Count: > 0 } refs
            ? string.Join("<br>", refs.Select(r => $"<a href=\"/entries/{E(r.Entry)}\"><code>{E(r.Entry[..12])}</code></a>{(r.File is null ? "" : "/" + E(r.File))}"))
            : $"<code>{E(key)}</code>";

    public static async Task<string?> Worst(ArtifactStore store, string key, int n, CancellationToken ct)
    {
        if (store.EntryManifest(key).Case is not Manifest m) return null;
        var (ranked, _, truth) = await ScoredFaces.LoadAsync(store, m, null, worstFirst: true, ct);
        var shown = ranked.Take(n).ToList();
        var body = $"""
            <p>The {shown.Count} faces of {E(Path.GetFileName(truth))} that {E(m.Stage)} predicted worst, of {ranked.Count} scored. Truth: the subject's
            left green, right red, centre yellow; prediction: magenta ×.</p>
            <p><img alt="worst predictions" src="{Url($"/entries/{m.Key}/worst.png", ("n", n.ToString(CultureInfo.InvariantCulture)))}"></p>
            {Table(["rank", "id", "RMSE px", "coordinates"], shown.Select((e, i) => new[]
            {
                Num((i + 1).ToString(CultureInfo.InvariantCulture)), Num(e.Face.Id.ToString(CultureInfo.InvariantCulture)), Num(F(e.Rmse, "F2")),
                Num(e.Coordinates.ToString(CultureInfo.InvariantCulture)),
            }), "worst")}
            """;
        return Page($"Worst predictions: {m.Stage}", body, store.Root);
    }
}
