using System.CommandLine;
using System.Text.Json.Nodes;
using Fkd.Flow.Exec;
using Fkd.Flow.Runs;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;

namespace Fkd.Cli.Commands;

/// <summary><c>ls</c>: runs (default); <c>ls entries</c>: every committed entry with its stage, rows and size;
/// <c>ls kinds</c>: every stage kind with its inputs, parameters (type, range, default, help: all from its params record) and outputs;
/// <c>ls models</c>: the train stage's models with their parameter counts (each model built once, for 30 and 8 outputs).</summary>
public static class LsCommand
{
    public static Command Create()
    {
        var what = new Argument<string>("what") { Description = "runs, entries, kinds (the stage kinds and their parameters) or models (the train stage's models and their sizes)", DefaultValueFactory = _ => "runs" };
        what.AcceptOnlyFromAmong("runs", "entries", "kinds", "models");
        var kind = new Option<string?>("--kind") { Description = "with kinds: only this stage kind" };
        var json = Common.JsonOption();
        var cmd = new Command("ls", "list runs, cache entries or stage kinds") { what, kind, json };
        cmd.SetAction(pr => pr.GetValue(what) switch
        {
            "kinds" => Kinds(StageKinds.Create(), pr.GetValue(kind), pr.GetValue(json)),
            "models" => Models(pr.GetValue(json)),
            "entries" => Entries(Common.Store(pr), pr.GetValue(json)),
            _ => Runs(Common.Store(pr), pr.GetValue(json)),
        });
        return cmd;
    }

    private static int Kinds(StageRegistry registry, string? only, bool json)
    {
        var kinds = registry.All.Where(k => only is null || k.Kind == only).ToList();
        if (kinds.Count == 0)
            throw new UsageException($"no stage kind '{only}' (known: {string.Join(", ", registry.All.Select(k => k.Kind))})");
        if (json)
        {
            Common.PrintJson(new JsonObject
            {
                ["kinds"] = new JsonArray([.. kinds.Select(k => (JsonNode)new JsonObject
                {
                    ["kind"] = k.Kind, ["version"] = k.Version, ["description"] = k.Description,
                    ["inputs"] = new JsonArray([.. k.Inputs.Select(i => (JsonNode)new JsonObject
                    {
                        ["name"] = i.Name, ["shape"] = i.Shape.ToString().ToLowerInvariant(), ["optional"] = i.Optional, ["list"] = i.Many, ["help"] = i.Description,
                    })]),
                    ["params"] = new JsonArray([.. k.Params.Select(p => (JsonNode)new JsonObject
                    {
                        ["name"] = p.Name, ["expected"] = p.Expected, ["default"] = p.Default?.DeepClone(), ["required"] = p.Required, ["help"] = p.Description,
                    })]),
                    ["outputs"] = new JsonArray([.. k.Outputs.Select(o => (JsonNode)o)]),
                })]),
            });
            return ExitCodes.Ok;
        }
        var o = System.Console.Out;
        foreach (var k in kinds)
        {
            o.WriteLine($"{k.Kind} (v{k.Version}): {k.Description}");
            foreach (var i in k.Inputs)
                o.WriteLine($"  input {i.Name} ({(i.Many ? "list of " : "")}{(i.Shape == InputShape.File ? "file" : "stage")}{(i.Optional ? ", optional" : "")}): {i.Description}");
            foreach (var p in k.Params) o.WriteLine($"  param {p.HelpLine}");
            o.WriteLine($"  writes {string.Join(", ", k.Outputs)}");
            o.WriteLine();
        }
        return ExitCodes.Ok;
    }

    private static int Models(bool json)
    {
        // Built on the CPU one at a time (resnext101 alone holds 350 MB of weights); the default dropout does not change a count.
        var o = new Fkd.Stages.Torch.ModelOptions();
        var rows = Fkd.Stages.Torch.ModelFactory.Names.Select(n => (Name: n,
            All: Fkd.Stages.Torch.ModelInputs.ParameterCount(n, 30, o), Four: Fkd.Stages.Torch.ModelInputs.ParameterCount(n, 8, o))).ToList();
        if (json)
        {
            Common.PrintJson(new JsonObject
            {
                ["models"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
                {
                    ["name"] = r.Name, ["default"] = r.Name == Fkd.Stages.Torch.ModelFactory.Default, ["parameters_30"] = r.All, ["parameters_8"] = r.Four,
                })]),
            });
            return ExitCodes.Ok;
        }
        System.Console.Out.WriteLine($"{"model",-14} {"parameters (30 outputs)",24} {"(8 outputs)",12}");
        foreach (var r in rows)
            System.Console.Out.WriteLine($"{r.Name,-14} {r.All,24:N0} {r.Four,12:N0}{(r.Name == Fkd.Stages.Torch.ModelFactory.Default ? "  (default)" : "")}");
        return ExitCodes.Ok;
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
