using LanguageExt;
using static LanguageExt.Prelude;
using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Fkd.Flow.Spec;

/// <summary>
/// One named stage as written in the pipeline: its kind, inputs and parameters. <paramref name="Queue"/> is
/// where a distributed run sends its job when the pipeline says (else the kind decides); it is not part of the key.
/// </summary>
public sealed record StageSpec(
    string Name,
    string Kind,
    ImmutableSortedDictionary<string, InputRef> Inputs,
    ImmutableSortedDictionary<string, JsonNode?> Params,
    string? Queue = null);

/// <summary>A parsed pipeline: its name (the file's stem), the folder relative paths resolve against, and its stages in file order.</summary>
public sealed record PipelineSpec(string Name, string BaseDir, ImmutableArray<StageSpec> Stages)
{
    public Option<StageSpec> Find(string name) =>
        Stages.Where(s => s.Name == name).Select(Some).FirstOrDefault(None);
}
