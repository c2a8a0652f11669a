using System.CommandLine;
using System.Text.Json.Nodes;
using Fkd.Flow.Runs;
using Fkd.Flow.Store;

namespace Fkd.Cli.Commands;

/// <summary>
/// <c>gc</c>: mark and sweep. Roots are the key every stage of every pipeline last had (refs/) and
/// the entries of the last N runs, and every key a run still in progress planned; everything else is
/// removed. Runs may go on beside it; two collections at once are refused (the store lock).
/// </summary>
public static class GcCommand
{
    public static Command Create()
    {
        var keep = new Option<int>("--keep-runs") { Description = "also keep every entry used by the last N runs", DefaultValueFactory = _ => 5 };
        var dry = new Option<bool>("--dry-run") { Description = "list what would be removed" };
        var json = Common.JsonOption();
        var cmd = new Command("gc", "remove cache entries no pipeline or recent run refers to") { keep, dry, json };
        cmd.SetAction(pr =>
        {
            var store = Common.Store(pr);
            var locked = StoreLock.TryAcquire(store.Root, TimeSpan.Zero);
            if (locked.IsLeft) { System.Console.Error.WriteLine("error: " + locked.LeftToSeq().Head()); return ExitCodes.Failure; }
            using var _ = locked.RightToSeq().Head();
            var live = store.AllRefs().Select(r => r.Key).ToHashSet();
            foreach (var r in RunRecord.All(store).TakeLast(Math.Max(0, pr.GetValue(keep))))
                foreach (var s in r.Stages) live.Add(s.Key);
            live.UnionWith(LiveRun.PlannedKeys(store));
            long freed = 0;
            var removed = new List<string>();
            foreach (var k in store.AllKeys().ToList())
            {
                if (live.Contains(k)) continue;
                var dir = store.EntryPath(k);
                freed += Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
                removed.Add(k);
                if (!pr.GetValue(dry)) Directory.Delete(dir, recursive: true);
            }
            var tmp = pr.GetValue(dry) ? 0 : store.CleanTmp();
            if (pr.GetValue(json))
                Common.PrintJson(new JsonObject { ["removed"] = new JsonArray([.. removed.Select(k => (JsonNode)k)]), ["bytes"] = freed, ["kept"] = live.Count, ["dry_run"] = pr.GetValue(dry) });
            else
                System.Console.Out.WriteLine($"{(pr.GetValue(dry) ? "would remove" : "removed")} {removed.Count} entries ({Common.Human(freed)}), kept {live.Count}{(tmp > 0 ? $", cleared {tmp} abandoned temporary folders" : "")}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
