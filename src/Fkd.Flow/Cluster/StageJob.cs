using System.Collections.Immutable;
using System.Text.Json;

namespace Fkd.Flow.Cluster;

/// <summary>
/// One job of a distributed run: compute stage <paramref name="Stage"/> (key <paramref name="Key"/>) of the
/// pipeline <paramref name="Spec"/> (pipeline JSON holding the stage and what it is made from, its input
/// files written as <c>file:HASH/NAME</c>). <paramref name="Files"/> maps each such relative path to its
/// content hash: the worker fetches them from the shared store into its own store. The worker plans the
/// spec itself and refuses the job when it finds another key (another version of the program).
/// </summary>
public sealed record StageJob(string Pipeline, string Stage, string Key, string Spec, ImmutableSortedDictionary<string, string> Files, string Coordinator)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static StageJob FromJson(string json) =>
        JsonSerializer.Deserialize<StageJob>(json, Json) ?? throw new JsonException("an empty stage job");
}
