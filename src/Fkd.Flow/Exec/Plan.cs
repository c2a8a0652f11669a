using System.Collections.Immutable;
using Fkd.Flow.Keys;
using Fkd.Flow.Spec;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Fkd.Flow.Exec;

/// <summary>One stage of a plan: its key, whether the store already has it, and why it must run if not.</summary>
public sealed record PlannedStage(
    StageSpec Spec,
    IStage Kind,
    KeyMaterial Material,
    string Key,
    Option<Manifest> Cached,
    bool Forced,
    ImmutableArray<string> Why)
{
    public string Name => Spec.Name;
    public bool WillRun => Cached.IsNone || Forced;
}

/// <summary>Every stage's key, computed before anything runs: keys depend only on inputs' keys, parameters and versions.</summary>
public sealed record Plan(PipelineSpec Pipeline, ImmutableArray<PlannedStage> Stages, ImmutableDictionary<string, string> FileInputs)
{
    public PlannedStage this[string name] => Stages.First(s => s.Name == name);

    /// <param name="readOnly">A dry run: damaged entries are reported in <see cref="PlannedStage.Why"/>, never removed.</param>
    public static Validation<string, Plan> Make(PipelineSpec pipeline, StageRegistry registry, ArtifactStore store, FileHashCache hashes, IReadOnlySet<string> force, bool readOnly = false)
    {
        var unknown = force.Where(f => pipeline.Find(f).IsNone).ToList();
        if (unknown.Count > 0) return Fail<string, Plan>(toSeq(unknown.Select(u => $"--force {u}: no stage named '{u}'")));

        var keys = new Dictionary<string, string>();
        var files = ImmutableDictionary.CreateBuilder<string, string>();
        var planned = ImmutableArray.CreateBuilder<PlannedStage>();
        var errors = new List<string>();
        foreach (var s in Graph.TopologicalOrder(pipeline.Stages))
        {
            var kind = registry.Find(s.Kind)!;
            var inputs = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            foreach (var (name, r) in s.Inputs)
            {
                string KeyOf(InputRef one)
                {
                    switch (one)
                    {
                        case StageRef sr:
                            return sr.File is null ? keys[sr.Stage] : $"{keys[sr.Stage]}/{sr.File}";
                        case FileRef f:
                            try
                            {
                                var h = hashes.Hash(f.FullPath);
                                files[f.FullPath] = h;
                                return "file:" + h;
                            }
                            catch (IOException e) { errors.Add($"stage {s.Name}, input {name}: {e.Message}"); return "file:?"; }
                        default:
                            throw new InvalidOperationException($"stage {s.Name}, input {name}: a list cannot hold a list");
                    }
                }
                inputs[name] = r is ListRef l ? KeyMaterial.ListKey(l.Items.Select(KeyOf)) : KeyOf(r);
            }
            var paramsJson = CanonicalJson.Write(new System.Text.Json.Nodes.JsonObject(s.Params
                .Where(p => kind.Params.FirstOrDefault(d => d.Name == p.Key) is not { } decl || decl.InKey(p.Value))
                .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))));
            var material = new KeyMaterial(kind.Kind, kind.Version, paramsJson, inputs.ToImmutable(), kind.KeyFacts, KeyMaterial.CurrentFormatVersion);
            var key = material.Key();
            keys[s.Name] = key;
            var damaged = readOnly ? store.Check(key).Bind(found => found.Match(Left: Some, Right: _ => Option<string>.None)) : None;
            var cached = readOnly ? store.Check(key).Bind(found => found.ToOption()) : store.Lookup(key);
            var forced = force.Contains(s.Name);
            var why = ImmutableArray<string>.Empty;
            if (forced) why = ["forced (--force)"];
            else if (damaged.Case is string broken) why = [$"cached entry damaged ({broken}): a run recomputes it"];
            else if (cached.IsNone)
                why = store.ReadRef(pipeline.Name, s.Name)
                    .Bind(prev => prev == key ? None : store.EntryManifest(prev))
                    .Match(m => material.DiffFrom(m.Material) is { Length: > 0 } d ? d : ["cached entry missing"],
                           () => store.ReadRef(pipeline.Name, s.Name).IsSome ? ["cached entry missing or removed"] : ["never run"]);
            planned.Add(new PlannedStage(s, kind, material, key, cached, forced, why));
        }
        return errors.Count > 0
            ? Fail<string, Plan>(toSeq(errors))
            : Success<string, Plan>(new Plan(pipeline, planned.ToImmutable(), files.ToImmutable()));
    }
}
