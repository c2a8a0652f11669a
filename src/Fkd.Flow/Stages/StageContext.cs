using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Serilog;

namespace Fkd.Flow.Stages;

/// <summary>A resolved input: the key it was found under and where its bytes are.</summary>
/// <param name="Path">A file path for file inputs and <c>stage/file</c> references; the entry folder for whole-stage inputs.</param>
public sealed record ResolvedInput(string Name, string Key, string Path, bool IsFile)
{
    /// <summary>A file of a whole-stage input.</summary>
    public string File(string name) => IsFile ? throw new InvalidOperationException($"input '{Name}' is a single file") : System.IO.Path.Combine(Path, name);
}

/// <summary>Progress a stage reports: work done out of total (total 0 = unknown) and a short message (e.g. the epoch's loss).</summary>
public readonly record struct StageProgress(double Done, double Total, string Message = "");

/// <summary>Everything a running stage may touch. The output folder is private to this run until the engine commits it.</summary>
public sealed class StageContext(
    string stageName,
    string key,
    ImmutableSortedDictionary<string, JsonNode> parameters,
    ImmutableDictionary<string, ResolvedInput> inputs,
    string outputDir,
    ILogger log,
    IProgress<StageProgress> progress,
    string? scratchDir = null,
    ImmutableDictionary<string, ImmutableArray<ResolvedInput>>? lists = null,
    string? keyParameters = null)
{
    /// <summary>
    /// A folder private to this key that survives a failed or interrupted run (unlike the output
    /// folder) and is removed once the entry commits: for checkpoints a rerun resumes from.
    /// </summary>
    public string ScratchDir { get; } = scratchDir ?? System.IO.Path.Combine(outputDir, ".scratch");

    public string StageName { get; } = stageName;
    public string Key { get; } = key;
    public ImmutableSortedDictionary<string, JsonNode> Parameters { get; } = parameters;
    public ImmutableDictionary<string, ResolvedInput> Inputs { get; } = inputs;
    public string OutputDir { get; } = outputDir;
    public ILogger Log { get; } = log;
    public IProgress<StageProgress> Progress { get; } = progress;

    /// <summary>The list inputs (<see cref="InputDecl.Many"/>): name → the resolved references in spec order.</summary>
    public ImmutableDictionary<string, ImmutableArray<ResolvedInput>> Lists { get; } = lists ?? ImmutableDictionary<string, ImmutableArray<ResolvedInput>>.Empty;

    public ResolvedInput Input(string name) =>
        Inputs.TryGetValue(name, out var i) ? i
        : Lists.ContainsKey(name) ? throw new InvalidOperationException($"input '{name}' of stage '{StageName}' is a list: use InputList")
        : throw new InvalidOperationException($"stage '{StageName}' has no input '{name}'");

    /// <summary>A list input's references in the order the spec gives them; empty when an optional list was left out.</summary>
    public ImmutableArray<ResolvedInput> InputList(string name) =>
        Lists.TryGetValue(name, out var l) ? l
        : Inputs.TryGetValue(name, out var one) ? [one]
        : [];

    public ResolvedInput? OptionalInput(string name) => Inputs.GetValueOrDefault(name);

    /// <summary>Where the stage writes one of its files: a plain name inside its private folder, nothing else.</summary>
    public string Output(string fileName) => Store.StoreNames.Under(OutputDir, Store.StoreNames.Segment(fileName, $"an output of stage {StageName}"));

    /// <summary>The parameters as the stage's key holds them (canonical order; a parameter kept out of keys at its
    /// default left out, so adding one keeps the files' bytes too), for metadata in written files.</summary>
    public string ParametersJson() => keyParameters
        ?? Keys.CanonicalJson.Write(new JsonObject(Parameters.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value.DeepClone()))));
}
