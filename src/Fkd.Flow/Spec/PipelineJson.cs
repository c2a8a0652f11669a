using System.Text.Json.Nodes;

namespace Fkd.Flow.Spec;

/// <summary>
/// A checked pipeline written back as pipeline JSON: foreach already expanded, every parameter (defaults
/// included) as checked, every file input as <c>file:</c> plus a path chosen by <paramref name="path"/>.
/// Read back through <see cref="PipelineLoader.Validate"/> it gives the same stages and so the same keys;
/// this is how a stage's job travels to a worker, whose copies of the input files live elsewhere.
/// </summary>
public static class PipelineJson
{
    public static JsonObject Write(PipelineSpec spec, Func<FileRef, string> path)
    {
        JsonNode Ref(InputRef r) => r switch
        {
            StageRef s => JsonValue.Create(s.ToString()),
            FileRef f => JsonValue.Create("file:" + path(f)),
            ListRef l => new JsonArray([.. l.Items.Select(Ref)]),
            _ => throw new InvalidOperationException($"unknown input reference {r}"),
        };
        var stages = new JsonObject();
        foreach (var s in spec.Stages)
        {
            var o = new JsonObject
            {
                ["kind"] = s.Kind,
                ["inputs"] = new JsonObject(s.Inputs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Ref(p.Value)))),
                ["params"] = new JsonObject(s.Params.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))),
            };
            if (s.Queue is not null) o["queue"] = s.Queue;
            stages[s.Name] = o;
        }
        return new JsonObject { ["name"] = spec.Name, ["stages"] = stages };
    }
}
