using System.Globalization;
using System.Text;
using Fkd.Flow.Keys;
using Fkd.Flow.Runs;
using Fkd.Flow.Store;
using static Fkd.Cli.Ui.Html;

namespace Fkd.Cli.Ui;

/// <summary>A run's stages as a graph, drawn in SVG: a column per depth, edges from each entry's recorded inputs, boxes coloured by status.</summary>
public static class StageGraph
{
    public static string Svg(ArtifactStore store, RunRecord run)
    {
        var byKey = run.Stages.Where(s => s.Key.Length == 64).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.First().Name);
        var ups = run.Stages.ToDictionary(s => s.Name, s => s.Key.Length == 64
            ? store.EntryManifest(s.Key).Map(m => m.Material.Inputs.Values.SelectMany(i => KeyMaterial.EntryRefs(i).Select(r => r.Entry)).Where(byKey.ContainsKey).Select(k => byKey[k]).Distinct().ToList()).IfNone([])
            : []);
        var depth = new Dictionary<string, int>();
        int Depth(string n, int guard = 0) => depth.TryGetValue(n, out var d) ? d
            : depth[n] = guard > 64 || ups[n].Count == 0 ? 0 : ups[n].Max(u => Depth(u, guard + 1)) + 1;
        foreach (var s in run.Stages) Depth(s.Name);
        var columns = run.Stages.GroupBy(s => depth[s.Name]).OrderBy(g => g.Key).ToList();
        var pos = new Dictionary<string, (int X, int Y)>();
        foreach (var col in columns)
        {
            var i = 0;
            foreach (var s in col) pos[s.Name] = (10 + col.Key * 150, 10 + i++ * 34);
        }
        var width = 10 + columns.Count * 150;
        var height = 20 + columns.Max(c => c.Count()) * 34;
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<svg class=\"graph\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"stage graph\">");
        foreach (var s in run.Stages)
            foreach (var u in ups[s.Name])
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{pos[u].X + 120}\" y1=\"{pos[u].Y + 12}\" x2=\"{pos[s.Name].X}\" y2=\"{pos[s.Name].Y + 12}\" stroke=\"#8c959f\"></line>");
        foreach (var s in run.Stages)
        {
            var (x, y) = pos[s.Name];
            var fill = s.Status switch { Flow.Exec.StageStatus.Computed => "#d2f4dc", Flow.Exec.StageStatus.Cached or Flow.Exec.StageStatus.Pulled => "#eaeef2", Flow.Exec.StageStatus.Failed => "#ffd7d5", _ => "#fff1c2" };
            var link = s.Key.Length == 64 ? $"/entries/{s.Key}" : "#";
            sb.Append(CultureInfo.InvariantCulture, $"<a href=\"{E(link)}\"><rect x=\"{x}\" y=\"{y}\" width=\"120\" height=\"24\" rx=\"4\" fill=\"{fill}\" stroke=\"#57606a\"></rect>")
              .Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 6}\" y=\"{y + 16}\" font-size=\"12\">{E(s.Name)}</text></a>");
        }
        return sb.Append("</svg>").ToString();
    }
}
