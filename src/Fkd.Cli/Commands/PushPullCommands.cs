using System.CommandLine;
using System.Text.Json.Nodes;
using Fkd.Flow.Remote;
using Fkd.Flow.Store;

namespace Fkd.Cli.Commands;

/// <summary><c>push</c> and <c>pull</c>: move entries between the local store and the shared one by hand.</summary>
public static class PushPullCommands
{
    private const string WhatHelp = "a run id or 'last' (its stages; the default), pipeline/stage, or an entry (key prefix, stage, run:stage)";

    public static Command Push()
    {
        var what = new Argument<string?>("what") { Description = WhatHelp, Arity = ArgumentArity.ZeroOrOne };
        var json = Common.JsonOption();
        var remote = Common.RemoteOption();
        var cmd = new Command("push", "upload local entries to the shared store (files already there are skipped, manifests last)") { what, json, remote };
        cmd.SetAction((pr, ct) => PushAsync(Common.Store(pr), pr.GetValue(what), pr.GetValue(remote), pr.GetValue(json), ct));
        return cmd;
    }

    public static Command Pull()
    {
        var what = new Argument<string?>("what") { Description = WhatHelp + "; a key or key prefix may name an entry only the shared store has", Arity = ArgumentArity.ZeroOrOne };
        var json = Common.JsonOption();
        var remote = Common.RemoteOption();
        var cmd = new Command("pull", "download entries from the shared store into the local one, each file checked against its manifest's hash") { what, json, remote };
        cmd.SetAction((pr, ct) => PullAsync(Common.Store(pr), pr.GetValue(what), pr.GetValue(remote), pr.GetValue(json), ct));
        return cmd;
    }

    private static Flow.Remote.RemoteUrl Required(string? remote) =>
        Common.RemoteUrl(remote) ?? throw new UsageException("no shared store: give --remote s3://BUCKET/PREFIX or set FKD_REMOTE");

    public static async Task<int> PushAsync(ArtifactStore store, string? what, string? remoteText, bool json, CancellationToken ct)
    {
        var url = Required(remoteText);
        var targets = await RemoteTargets.ResolveAsync(store, what, null, ct);
        using var remote = Common.OpenRemote(url);
        var done = new JsonArray();
        var absent = new JsonArray();
        int uploaded = 0, skipped = 0;
        long bytes = 0;
        foreach (var t in targets)
        {
            if (store.Lookup(t.Key).IsNone)
            {
                absent.Add(t.Key);
                if (!json) System.Console.Out.WriteLine($"  {t.Stage ?? "",-14} {t.Key[..12]}  not in the local store (removed by gc?)");
                continue;
            }
            var r = await remote.PushEntryAsync(t.Key, store, ct);
            (uploaded, skipped, bytes) = (uploaded + r.FilesUploaded, skipped + r.FilesSkipped, bytes + r.BytesUploaded);
            done.Add(new JsonObject
            {
                ["key"] = t.Key, ["stage"] = t.Stage, ["files_uploaded"] = r.FilesUploaded, ["files_skipped"] = r.FilesSkipped,
                ["bytes"] = r.BytesUploaded, ["manifest_written"] = r.ManifestWritten,
            });
            if (!json)
                System.Console.Out.WriteLine($"  {t.Stage ?? "",-14} {t.Key[..12]}  {(r.FilesUploaded == 0 && !r.ManifestWritten ? "already there" : $"{r.FilesUploaded} files up ({Common.Human(r.BytesUploaded)}), {r.FilesSkipped} there")}");
        }
        var ok = absent.Count == 0;
        if (json)
            Common.PrintJson(new JsonObject
            {
                ["ok"] = ok, ["remote"] = remote.Url, ["entries"] = done, ["not_local"] = absent,
                ["files_uploaded"] = uploaded, ["files_skipped"] = skipped, ["bytes"] = bytes,
            });
        else
            System.Console.Out.WriteLine($"pushed {done.Count} entries to {remote.Url}: {uploaded} files uploaded ({Common.Human(bytes)}), {skipped} already there{(absent.Count > 0 ? $"; {absent.Count} not in the local store" : "")}");
        return ok ? ExitCodes.Ok : ExitCodes.Failure;
    }

    public static async Task<int> PullAsync(ArtifactStore store, string? what, string? remoteText, bool json, CancellationToken ct)
    {
        var url = Required(remoteText);
        using var remote = Common.OpenRemote(url);
        var targets = await RemoteTargets.ResolveAsync(store, what, remote, ct);
        var entries = new JsonArray();
        int pulled = 0, skipped = 0, bad = 0;
        long bytes = 0;
        foreach (var t in targets)
        {
            var (status, got, why) = await PullOneAsync(store, remote, t.Key, ct);
            if (status == "pulled") { pulled++; bytes += got; }
            else if (status is "local") skipped++;
            else bad++;
            entries.Add(new JsonObject { ["key"] = t.Key, ["stage"] = t.Stage, ["status"] = status, ["bytes"] = got, ["why"] = why });
            if (!json) System.Console.Out.WriteLine($"  {t.Stage ?? "",-14} {t.Key[..12]}  {status}{(status == "pulled" ? $" ({Common.Human(got)})" : "")}{(why is null ? "" : ": " + why)}");
        }
        if (json)
            Common.PrintJson(new JsonObject
            {
                ["ok"] = bad == 0, ["remote"] = remote.Url, ["entries"] = entries, ["pulled"] = pulled, ["skipped"] = skipped, ["failed"] = bad, ["bytes"] = bytes,
            });
        else
            System.Console.Out.WriteLine($"pulled {pulled} entries from {remote.Url} ({Common.Human(bytes)}), {skipped} already local{(bad > 0 ? $", {bad} not pulled" : "")}");
        return bad == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>One entry, under its claim (so a run computing it meanwhile, or the store's clean-up, never meets a half-downloaded folder).</summary>
    private static async Task<(string Status, long Bytes, string? Why)> PullOneAsync(ArtifactStore store, S3RemoteStore remote, string key, CancellationToken ct)
    {
        if (store.Lookup(key).IsSome) return ("local", 0, null);
        using var claim = EntryClaim.TryTake(store, key, "pull");
        if (claim is null) return ("busy", 0, $"{EntryClaim.HolderOf(store, key)?.ToString() ?? "another run"} is computing it");
        return await remote.PullAsync(key, store, ct) switch
        {
            PullOutcome.Pulled p => ("pulled", p.Bytes, null),
            PullOutcome.Rejected r => ("rejected", 0, r.Why),
            _ => ("missing", 0, $"the shared store has no entry {key[..12]}"),
        };
    }
}
