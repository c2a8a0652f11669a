using System.CommandLine;
using System.Text.Json.Nodes;
using Fkd.Flow.Exec;
using Fkd.Flow.Runs;
using Fkd.Flow.Store;

namespace Fkd.Cli.Commands;

/// <summary><c>ls</c>: runs (default), or <c>ls entries</c>: every committed entry with its stage, rows and size.</summary>
public static class LsCommand
{
    public static Command Create()
    {
        var what = new Argument<string>("what") { Description = "runs or entries", DefaultValueFactory = _ => "runs" };
        what.AcceptOnlyFromAmong("runs", "entries");
        var json = Common.JsonOption();
        var cmd = new Command("ls", "list runs or cache entries") { what, json };
        cmd.SetAction(pr =>
        {
            var store = Common.Store(pr);
            return pr.GetValue(what) == "entries" ? Entries(store, pr.GetValue(json)) : Runs(store, pr.GetValue(json));
        });
        return cmd;
    }

    private static int Runs(ArtifactStore store, bool json)
    {
        var runs = RunRecord.All(store).ToList();
        if (json)
        {
            Common.PrintJson(new JsonObject { ["runs"] = new JsonArray([.. runs.Select(r => (JsonNode)RunCommand.RunJson(r, store))]) });
            return ExitCodes.Ok;
        }
        if (runs.Count == 0) { System.Console.Out.WriteLine($"no runs in {store.Root}"); return ExitCodes.Ok; }
        foreach (var r in runs)
            System.Console.Out.WriteLine($"{r.Id}  {r.Pipeline,-12} {(r.Ok ? "ok    " : "FAILED")} {r.Stages.Count(s => s.Status == StageStatus.Computed),3} computed {r.Stages.Count(s => s.Status == StageStatus.Cached),3} cached {r.Seconds,8:F2} s{(r.Sets.Length > 0 ? "  --set " + string.Join(" --set ", r.Sets) : "")}");
        return ExitCodes.Ok;
    }

    private static int Entries(ArtifactStore store, bool json)
    {
        var entries = store.AllKeys().Select(k => store.EntryManifest(k)).Where(m => m.IsSome).Select(m => m.Match(x => x, () => null!))
            .OrderBy(m => m.Created).ToList();
        if (json)
        {
            Common.PrintJson(new JsonObject
            {
                ["entries"] = new JsonArray([.. entries.Select(m => (JsonNode)new JsonObject
                {
                    ["key"] = m.Key, ["stage"] = m.Stage, ["kind"] = m.Material.Kind, ["rows"] = m.Rows,
                    ["bytes"] = m.Files.Sum(f => f.Bytes), ["created"] = m.Created.ToString("O"), ["path"] = store.EntryPath(m.Key),
                })]),
            });
            return ExitCodes.Ok;
        }
        foreach (var m in entries)
            System.Console.Out.WriteLine($"{m.Key[..12]}  {m.Stage,-14} {m.Material.Kind,-16} {m.Rows,10:N0} rows {Common.Human(m.Files.Sum(f => f.Bytes)),10}  {m.Created.LocalDateTime:yyyy-MM-dd HH:mm}");
        return ExitCodes.Ok;
    }
}
