using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fkd.Flow.Stages;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Fkd.Flow.Spec;

/// <summary>
/// Reads a pipeline file, applies <c>--set</c> overrides and checks the whole thing against the
/// registered stage kinds before anything runs. Every problem is reported, each with its JSON
/// path; nothing stops at the first.
/// </summary>
public static class PipelineLoader
{
    private static readonly string[] StageFields = ["kind", "inputs", "params", "description"];

    public static Validation<SpecError, PipelineSpec> Load(string file, IEnumerable<string> sets, StageRegistry registry, string? workingDir = null)
    {
        if (!File.Exists(file)) return Fail<SpecError, PipelineSpec>(new SpecError(file, "pipeline file not found"));
        var full = Path.GetFullPath(file);
        var name = Path.GetFileNameWithoutExtension(full);
        return ParseJson(File.ReadAllText(full), file)
            .Bind(root => ApplyOverrides(root, sets, registry, workingDir ?? Directory.GetCurrentDirectory()))
            .Bind(root => Validate(root, name, Path.GetDirectoryName(full)!, registry));
    }

    public static Validation<SpecError, JsonObject> ParseJson(string text, string file)
    {
        try
        {
            var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return node is JsonObject o
                ? Success<SpecError, JsonObject>(o)
                : Fail<SpecError, JsonObject>(new SpecError("$", "expected a JSON object with a \"stages\" object"));
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } l ? $"{file}:{l + 1}:{(e.BytePositionInLine ?? 0) + 1}" : file;
            return Fail<SpecError, JsonObject>(new SpecError(where, "invalid JSON: " + FirstSentence(e.Message)));
        }
    }

    /// <summary>
    /// <c>stage.name=value</c>: sets input <c>name</c> if the stage's kind has such an input (value
    /// is a stage reference or a path, relative to the working directory), else parameter <c>name</c>
    /// (value read as JSON when it parses as JSON, else as a string).
    /// </summary>
    public static Validation<SpecError, JsonObject> ApplyOverrides(JsonObject root, IEnumerable<string> sets, StageRegistry registry, string workingDir)
    {
        var copy = root.DeepClone().AsObject();
        var errors = new List<SpecError>();
        foreach (var set in sets)
        {
            var eq = set.IndexOf('=');
            var dot = eq < 0 ? -1 : set.IndexOf('.', 0, eq);
            if (eq < 0 || dot <= 0 || dot == eq - 1)
            {
                errors.Add(new SpecError($"--set {set}", "expected stage.param=value"));
                continue;
            }
            var stage = set[..dot];
            var key = set[(dot + 1)..eq];
            var raw = set[(eq + 1)..];
            if (copy["stages"] is not JsonObject stages || stages[stage] is not JsonObject s)
            {
                errors.Add(new SpecError($"--set {set}", $"no stage named '{stage}'"));
                continue;
            }
            var kind = s["kind"] is JsonValue kv && kv.TryGetValue<string>(out var k) ? registry.Find(k) : null;
            if (kind is not null && kind.Inputs.Any(i => i.Name == key))
            {
                var stageNames = stages.Select(p => p.Key).ToHashSet();
                var head = raw.Split('/')[0];
                var value = stageNames.Contains(head) || raw.StartsWith("file:") ? raw : "file:" + Path.GetFullPath(raw, workingDir);
                var inputs = s["inputs"] as JsonObject ?? new JsonObject();
                inputs[key] = value;
                s["inputs"] = inputs;
            }
            else
            {
                var p = s["params"] as JsonObject ?? new JsonObject();
                p[key] = ParseValue(raw);
                s["params"] = p;
            }
        }
        return errors.Count == 0 ? Success<SpecError, JsonObject>(copy) : Fail<SpecError, JsonObject>(toSeq(errors));
    }

    private static JsonNode? ParseValue(string raw)
    {
        try { return JsonNode.Parse(raw) ?? JsonValue.Create(raw); }
        catch (JsonException) { return JsonValue.Create(raw); }
    }

    public static Validation<SpecError, PipelineSpec> Validate(JsonObject root, string name, string baseDir, StageRegistry registry)
    {
        var errors = new List<SpecError>();
        foreach (var (k, _) in root)
            if (k is not ("stages" or "name" or "description"))
                errors.Add(new SpecError($"$.{k}", "unknown field (expected \"stages\", \"name\" or \"description\")"));
        if (root["name"] is JsonValue nv && nv.TryGetValue<string>(out var n)) name = n;
        if (root["stages"] is not JsonObject stagesObj)
        {
            errors.Add(new SpecError("$.stages", "expected an object of named stages"));
            return Fail<SpecError, PipelineSpec>(toSeq(errors));
        }

        var stageNames = stagesObj.Select(p => p.Key).ToHashSet();
        var stages = ImmutableArray.CreateBuilder<StageSpec>();
        var kinds = new Dictionary<string, IStage>();
        foreach (var (stageName, node) in stagesObj)
        {
            var path = $"$.stages.{stageName}";
            if (!IsValidName(stageName)) errors.Add(new SpecError(path, "a stage name may hold letters, digits, '_' and '-' only"));
            if (node is not JsonObject so) { errors.Add(new SpecError(path, "expected an object with \"kind\", \"inputs\" and \"params\"")); continue; }
            foreach (var (f, _) in so)
                if (!StageFields.Contains(f)) errors.Add(new SpecError($"{path}.{f}", $"unknown field (expected one of {string.Join(", ", StageFields)})"));

            if (so["kind"] is not JsonValue kindNode || !kindNode.TryGetValue<string>(out var kindName))
            {
                errors.Add(new SpecError($"{path}.kind", "expected the stage kind as a string"));
                continue;
            }
            var kind = registry.Find(kindName);
            if (kind is null)
            {
                errors.Add(new SpecError($"{path}.kind", $"unknown stage kind \"{kindName}\" (known: {string.Join(", ", registry.All.Select(s => s.Kind))})"));
                continue;
            }
            kinds[stageName] = kind;

            // Parameters: unknown, missing, wrong type; defaults filled in.
            var checkedParams = ImmutableSortedDictionary.CreateBuilder<string, JsonNode?>(StringComparer.Ordinal);
            var given = so["params"] switch
            {
                null => new JsonObject(),
                JsonObject o => o,
                _ => null,
            };
            if (given is null) errors.Add(new SpecError($"{path}.params", "expected an object"));
            given ??= new JsonObject();
            foreach (var (p, _) in given)
                if (kind.Params.All(d => d.Name != p))
                    errors.Add(new SpecError($"{path}.params.{p}", $"unknown parameter for kind \"{kind.Kind}\" (known: {string.Join(", ", kind.Params.Select(d => d.Name))})"));
            foreach (var decl in kind.Params)
            {
                if (!given.ContainsKey(decl.Name))
                {
                    if (decl.Required) errors.Add(new SpecError($"{path}.params.{decl.Name}", $"missing required parameter ({decl.TypeName}): {decl.Description}"));
                    else checkedParams[decl.Name] = decl.Check(decl.Default).Match(v => v, why => throw new InvalidOperationException($"default of {kind.Kind}.{decl.Name}: {why}"));
                    continue;
                }
                decl.Check(given[decl.Name]).Match(
                    Right: v => checkedParams[decl.Name] = v,
                    Left: why => errors.Add(new SpecError($"{path}.params.{decl.Name}", why)));
            }

            // Inputs: unknown, missing, dangling.
            var inputs = ImmutableSortedDictionary.CreateBuilder<string, InputRef>(StringComparer.Ordinal);
            var givenInputs = so["inputs"] switch { null => new JsonObject(), JsonObject o => o, _ => null };
            if (givenInputs is null) errors.Add(new SpecError($"{path}.inputs", "expected an object of named inputs"));
            givenInputs ??= new JsonObject();
            foreach (var (i, v) in givenInputs)
            {
                var ipath = $"{path}.inputs.{i}";
                if (kind.Inputs.All(d => d.Name != i))
                {
                    errors.Add(new SpecError(ipath, $"unknown input for kind \"{kind.Kind}\" (known: {string.Join(", ", kind.Inputs.Select(d => d.Name))})"));
                    continue;
                }
                if (v is not JsonValue iv || !iv.TryGetValue<string>(out var text) || text.Length == 0)
                {
                    errors.Add(new SpecError(ipath, "expected a stage name, stage/file, or a file path"));
                    continue;
                }
                inputs[i] = InputRef.Parse(text, stageNames, baseDir);
            }
            foreach (var decl in kind.Inputs)
                if (!decl.Optional && !givenInputs.ContainsKey(decl.Name))
                    errors.Add(new SpecError($"{path}.inputs.{decl.Name}", $"missing required input: {decl.Description}"));

            stages.Add(new StageSpec(stageName, kind.Kind, inputs.ToImmutable(), checkedParams.ToImmutable()));
        }

        // References between stages, once every stage is known.
        foreach (var s in stages)
        {
            if (!kinds.TryGetValue(s.Name, out var kind)) continue;
            foreach (var (i, r) in s.Inputs)
            {
                var ipath = $"$.stages.{s.Name}.inputs.{i}";
                var decl = kind.Inputs.First(d => d.Name == i);
                switch (r)
                {
                    case FileRef f when decl.Shape == InputShape.Entry:
                        errors.Add(new SpecError(ipath, $"expects the output of a stage; '{f.Written}' names no stage of this pipeline"));
                        break;
                    case FileRef f:
                        if (!File.Exists(f.FullPath)) errors.Add(new SpecError(ipath, $"file not found: {f.Written}"));
                        break;
                    case StageRef sr when sr.Stage == s.Name:
                        errors.Add(new SpecError(ipath, "a stage cannot read its own output"));
                        break;
                    case StageRef sr when kinds.TryGetValue(sr.Stage, out var up):
                        if (sr.File is null && decl.Shape == InputShape.File)
                            errors.Add(new SpecError(ipath, $"expects one file; name one of stage '{sr.Stage}': {string.Join(", ", up.Outputs.Select(o => $"{sr.Stage}/{o}"))}"));
                        else if (sr.File is not null && !up.Outputs.Contains(sr.File))
                            errors.Add(new SpecError(ipath, $"stage '{sr.Stage}' ({up.Kind}) writes no file '{sr.File}' (it writes: {string.Join(", ", up.Outputs)})"));
                        else if (sr.File is not null && decl.Shape == InputShape.Entry)
                            errors.Add(new SpecError(ipath, $"expects the whole output of a stage: write '{sr.Stage}'"));
                        break;
                }
            }
        }

        foreach (var cycle in Graph.Cycles(stages.ToImmutable()))
            errors.Add(new SpecError($"$.stages.{cycle[0]}.inputs", "cycle: " + string.Join(" → ", cycle.Append(cycle[0]))));

        return errors.Count == 0
            ? Success<SpecError, PipelineSpec>(new PipelineSpec(name, baseDir, stages.ToImmutable()))
            : Fail<SpecError, PipelineSpec>(toSeq(errors));
    }

    private static bool IsValidName(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static string FirstSentence(string m)
    {
        var i = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return i > 0 ? m[..i].TrimEnd('.', ' ') : m;
    }
}
