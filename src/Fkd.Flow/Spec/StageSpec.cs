using LanguageExt;
using static LanguageExt.Prelude;
using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Fkd.Flow.Spec;

/// <summary>One named stage as written in the pipeline: its kind, inputs and parameters (not yet checked against the kind).</summary>
public sealed record StageSpec(
    string Name,
    string Kind,
    ImmutableSortedDictionary<string, InputRef> Inputs,
    ImmutableSortedDictionary<string, JsonNode?> Params);

/// <summary>A parsed pipeline: its name (the file's stem), the folder relative paths resolve against, and its stages in file order.</summary>
public sealed record PipelineSpec(string Name, string BaseDir, ImmutableArray<StageSpec> Stages)
{
    public Option<StageSpec> Find(string name) =>
        Stages.Where(s => s.Name == name).Select(Some).FirstOrDefault(None);
}
