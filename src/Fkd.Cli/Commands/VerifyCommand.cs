using System.CommandLine;
using System.Text.Json.Nodes;
using Fkd.Flow.Store;

namespace Fkd.Cli.Commands;

/// <summary><c>verify</c>: re-hashes every file of every entry (or one) against its manifest. <c>--remove</c> deletes damaged entries.</summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var what = new Argument<string?>("entry") { Description = "key prefix, stage or run:stage (default: all entries)", Arity = ArgumentArity.ZeroOrOne };
        var remove = new Option<bool>("--remove") { Description = "remove entries that fail, so the next run recomputes them" };
        var json = Common.JsonOption();
        var cmd = new Command("verify", "check stored files against their manifests' hashes") { what, remove, json };
        cmd.SetAction(pr =>
        {
            var store = Common.Store(pr);
            var keys = pr.GetValue(what) is { } w ? [EntryResolver.Resolve(store, w).Key] : store.AllKeys().ToList();
            var bad = new JsonObject();
            var inUse = pr.GetValue(remove) ? LiveRun.PlannedKeys(store) : [];
            foreach (var k in keys)
            {
                var problems = store.Verify(k);
                if (problems.Length == 0) continue;
                bad[k] = new JsonArray([.. problems.Select(p => (JsonNode)p)]);
                if (!pr.GetValue(json)) System.Console.Out.WriteLine($"{k[..12]}  DAMAGED: {string.Join("; ", problems)}");
                if (pr.GetValue(remove) && inUse.Contains(k))
                    System.Console.Error.WriteLine($"{k[..12]}  not removed: a run in progress uses it (it re-hashes what it reads and recomputes damaged inputs)");
                else if (pr.GetValue(remove)) Directory.Delete(store.EntryPath(k), recursive: true);
            }
            if (pr.GetValue(json)) Common.PrintJson(new JsonObject { ["checked"] = keys.Count, ["damaged"] = bad });
            else System.Console.Out.WriteLine($"{keys.Count} entries checked, {bad.Count} damaged{(bad.Count > 0 && pr.GetValue(remove) ? " (removed)" : "")}");
            return bad.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return cmd;
    }
}
