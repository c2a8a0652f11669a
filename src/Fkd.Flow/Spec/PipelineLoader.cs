using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;
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
    private static readonly string[] StageFields = ["kind", "inputs", "params", "description", "queue"];

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
    /// (value read as JSON when it parses as JSON, else as a string). A list input takes a JSON
    /// array of references (<c>stage.oof=["a-*/x.parquet", "b/x.parquet"]</c>) or one reference.
    /// Overrides apply before <c>foreach</c> expansion: <c>family.param=v</c> sets every expansion.
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
                errors.Add(new SpecError($"--set {set}", $"no stage named '{stage}'{DidYouMean(stage, (copy["stages"] as JsonObject)?.Select(p => p.Key) ?? [])}"));
                continue;
            }
            var kind = s["kind"] is JsonValue kv && kv.TryGetValue<string>(out var k) ? registry.Find(k) : null;
            if (kind?.Inputs.FirstOrDefault(i => i.Name == key) is { } decl)
            {
                bool NamesStage(string head) =>
                    stages.Any(p => p.Key == head || (p.Value is JsonObject o && o.ContainsKey("foreach") && head.StartsWith(p.Key + "-", StringComparison.Ordinal)));
                JsonNode Ref(string text) =>
                    JsonValue.Create(NamesStage(text.Split('/')[0]) || text.StartsWith("file:") ? text : "file:" + Path.GetFullPath(text, workingDir));
                JsonNode? value;
                if (decl.Many && raw.TrimStart().StartsWith('['))
                {
                    if (ParseValue(raw) is JsonArray arr && arr.All(e => e is JsonValue ev && ev.TryGetValue<string>(out _)))
                        value = new JsonArray(arr.Select(e => (JsonNode?)Ref(e!.GetValue<string>())).ToArray());
                    else
                    {
                        errors.Add(new SpecError($"--set {set}", "expected a JSON array of strings for list input " + key));
                        continue;
                    }
                }
                else value = Ref(raw);
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
        // The name becomes a folder of the store (refs/NAME/): it may not name a path.
        var namePath = "$.name";
        if (root["name"] is { } nameNode)
        {
            if (nameNode is JsonValue nv && nv.TryGetValue<string>(out var n)) name = n;
            else errors.Add(new SpecError(namePath, "expected the pipeline's name as a string"));
        }
        else namePath = "$ (the file name)";
        if (!StoreNames.IsSafe(name))
            errors.Add(new SpecError(namePath, $"a pipeline name may hold letters, digits, '_', '-' and '.' (not first), at most {StoreNames.MaxLength} of them, found {Quote(name)}"));
        if (root["stages"] is not JsonObject stagesObj)
        {
            errors.Add(new SpecError("$.stages", "expected an object of named stages"));
            return Fail<SpecError, PipelineSpec>(toSeq(errors));
        }

        var families = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        stagesObj = Expand(stagesObj, registry, families, errors);
        var stageNames = stagesObj.Select(p => p.Key).ToHashSet();
        var stages = ImmutableArray.CreateBuilder<StageSpec>();
        var kinds = new Dictionary<string, IStage>();
        var elementPaths = new Dictionary<(string Stage, string Input, int Index), string>();

        // One reference as written: stage, stage/file or a path; "family-*" (lists only) is every expansion of a foreach stage, in value order.
        List<InputRef>? ParseRef(JsonNode? node, string epath, bool allowStar)
        {
            if (node is not JsonValue ev || !ev.TryGetValue<string>(out var text) || text.Length == 0)
            {
                errors.Add(new SpecError(epath, "expected a stage name, stage/file, or a file path"));
                return null;
            }
            var slash = text.IndexOf('/');
            var head = slash < 0 ? text : text[..slash];
            if (head.EndsWith("-*", StringComparison.Ordinal))
            {
                var family = head[..^2];
                if (!allowStar) { errors.Add(new SpecError(epath, $"'{text}': a '*' reference needs a list input")); return null; }
                if (!families.TryGetValue(family, out var values)) { errors.Add(new SpecError(epath, $"'{text}': '{family}' is no foreach stage of this pipeline")); return null; }
                return values.Select(x => InputRef.Parse($"{family}-{x}{(slash < 0 ? "" : text[slash..])}", stageNames, baseDir)).ToList();
            }
            if (text.Contains('{') && text.Contains('}') && !stageNames.Contains(head))
            {
                errors.Add(new SpecError(epath, $"'{text}': '{{name}}' is replaced only inside a stage with \"foreach\" over that name"));
                return null;
            }
            return [InputRef.Parse(text, stageNames, baseDir)];
        }
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
                errors.Add(new SpecError($"{path}.kind", $"unknown stage kind \"{kindName}\"{DidYouMean(kindName, registry.All.Select(s => s.Kind))} (known: {string.Join(", ", registry.All.Select(s => s.Kind))})"));
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
                    errors.Add(new SpecError($"{path}.params.{p}", $"unknown parameter for kind \"{kind.Kind}\"{DidYouMean(p, kind.Params.Select(d => d.Name).Concat(kind.Inputs.Select(d => d.Name)))} (known: {string.Join(", ", kind.Params.Select(d => d.Name))})"));
            foreach (var decl in kind.Params)
            {
                if (!given.ContainsKey(decl.Name))
                {
                    if (decl.Required) errors.Add(new SpecError($"{path}.params.{decl.Name}", $"missing required parameter ({decl.TypeName}): {decl.Description}"));
                    else checkedParams[decl.Name] = decl.Default!.DeepClone(); // checked when the schema was made
                    continue;
                }
                decl.Check(given[decl.Name]).Match(
                    Right: v => checkedParams[decl.Name] = v,
                    Left: why => errors.Add(new SpecError($"{path}.params.{decl.Name}", why)));
            }
            // Rules across parameters, once each one has its type: a record can only be bound from whole, checked values.
            if (kind.Params.All(d => checkedParams.ContainsKey(d.Name)))
                foreach (var problem in kind.CheckRules(checkedParams).FailToSeq())
                    errors.Add(new SpecError($"{path}.params.{problem.Param}", problem.Message));

            // Inputs: unknown, missing, dangling.
            var inputs = ImmutableSortedDictionary.CreateBuilder<string, InputRef>(StringComparer.Ordinal);
            var givenInputs = so["inputs"] switch { null => new JsonObject(), JsonObject o => o, _ => null };
            if (givenInputs is null) errors.Add(new SpecError($"{path}.inputs", "expected an object of named inputs"));
            givenInputs ??= new JsonObject();
            foreach (var (i, v) in givenInputs)
            {
                var ipath = $"{path}.inputs.{i}";
                var idecl = kind.Inputs.FirstOrDefault(d => d.Name == i);
                if (idecl is null)
                {
                    errors.Add(new SpecError(ipath, $"unknown input for kind \"{kind.Kind}\"{DidYouMean(i, kind.Inputs.Select(d => d.Name))} (known: {string.Join(", ", kind.Inputs.Select(d => d.Name))})"));
                    continue;
                }
                if (!idecl.Many)
                {
                    if (v is JsonArray)
                        errors.Add(new SpecError(ipath, "takes one reference, not a list"));
                    else if (ParseRef(v, ipath, allowStar: false) is { } one)
                        inputs[i] = one.Single();
                    continue;
                }
                // A list input: an array of references, or one reference as a one-element list.
                var elements = v switch
                {
                    JsonArray a => a.Select((e, k) => (Node: e, Path: $"{ipath}[{k}]")).ToList(),
                    JsonValue => [(Node: v, Path: ipath)],
                    _ => null,
                };
                if (elements is null)
                {
                    errors.Add(new SpecError(ipath, "expected an array of stage names, stage/file references or file paths"));
                    continue;
                }
                if (elements.Count == 0)
                {
                    if (!idecl.Optional) errors.Add(new SpecError(ipath, $"an empty list; this input needs at least one reference: {idecl.Description}"));
                    continue;
                }
                var items = ImmutableArray.CreateBuilder<InputRef>();
                var ok = true;
                foreach (var (elem, epath) in elements)
                {
                    if (ParseRef(elem, epath, allowStar: true) is { } refs)
                        foreach (var r in refs) { items.Add(r); elementPaths[(stageName, i, items.Count - 1)] = epath; }
                    else ok = false;
                }
                if (ok) inputs[i] = new ListRef(items.ToImmutable());
            }
            foreach (var decl in kind.Inputs)
                if (!decl.Optional && !givenInputs.ContainsKey(decl.Name))
                    errors.Add(new SpecError($"{path}.inputs.{decl.Name}", $"missing required input: {decl.Description}"));

            string? queue = null;
            if (so["queue"] is { } qn)
            {
                if (qn is JsonValue qv && qv.TryGetValue<string>(out var q) && Cluster.QueueNames.IsValid(q)) queue = q;
                else errors.Add(new SpecError($"{path}.queue", "expected a queue name: lowercase letters, digits, '_' and '-' (e.g. \"gpu\")"));
            }

            stages.Add(new StageSpec(stageName, kind.Kind, inputs.ToImmutable(), checkedParams.ToImmutable(), queue));
        }

        // References between stages, once every stage is known.
        foreach (var s in stages)
        {
            if (!kinds.TryGetValue(s.Name, out var kind)) continue;
            foreach (var (i, whole) in s.Inputs)
            {
                var decl = kind.Inputs.First(d => d.Name == i);
                var items = ListRef.Flatten(whole).ToList();
                for (var k = 0; k < items.Count; k++)
                {
                    var ipath = elementPaths.GetValueOrDefault((s.Name, i, k), $"$.stages.{s.Name}.inputs.{i}");
                    switch (items[k])
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
        }

        foreach (var cycle in Graph.Cycles(stages.ToImmutable()))
            errors.Add(new SpecError($"$.stages.{cycle[0]}.inputs", "cycle: " + string.Join(" → ", cycle.Append(cycle[0]))));

        return errors.Count == 0
            ? Success<SpecError, PipelineSpec>(new PipelineSpec(name, baseDir, stages.ToImmutable()))
            : Fail<SpecError, PipelineSpec>(toSeq(errors));
    }

    /// <summary>
    /// Expands every stage with <c>"foreach": {"p": [v1, v2, ...]}</c> into stages <c>name-v1</c>,
    /// <c>name-v2</c>, ... in its place. In each, <c>{p}</c> in an input reference or a parameter
    /// value is replaced by the value (a parameter written exactly <c>"{p}"</c> takes the value with
    /// its JSON type), and parameter <c>p</c> is set when the kind declares it. <paramref name="families"/>
    /// receives name → the values as strings, in order, for <c>name-*</c> references.
    /// </summary>
    public static JsonObject Expand(JsonObject stagesObj, StageRegistry registry, Dictionary<string, List<string>> families, List<SpecError> errors)
    {
        var output = new JsonObject();
        var taken = stagesObj.Where(p => p.Value is not JsonObject o || !o.ContainsKey("foreach")).Select(p => p.Key).ToHashSet();
        foreach (var (name, node) in stagesObj)
        {
            if (node is not JsonObject so || !so.ContainsKey("foreach")) { output[name] = node?.DeepClone(); continue; }
            var fpath = $"$.stages.{name}.foreach";
            if (so["foreach"] is not JsonObject fe || fe.Count != 1 || fe.First().Value is not JsonArray values)
            {
                errors.Add(new SpecError(fpath, "expected an object with one parameter name and a list of values, e.g. {\"fold\": [0, 1, 2]}"));
                continue;
            }
            var param = fe.First().Key;
            if (values.Count == 0) { errors.Add(new SpecError($"{fpath}.{param}", "an empty list of values")); continue; }
            var texts = new List<string>();
            for (var k = 0; k < values.Count; k++)
            {
                string? t = values[k] is JsonValue v
                    ? v.TryGetValue<long>(out var l) ? l.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : v.TryGetValue<int>(out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : v.TryGetValue<string>(out var str) ? str : null
                    : null;
                if (t is null || !IsValidName(t)) errors.Add(new SpecError($"{fpath}.{param}[{k}]", "expected an integer or a string of letters, digits, '_' and '-'"));
                else if (texts.Contains(t)) errors.Add(new SpecError($"{fpath}.{param}[{k}]", $"value {t} appears twice"));
                else texts.Add(t);
            }
            if (texts.Count != values.Count) continue;
            var kind = so["kind"] is JsonValue kv && kv.TryGetValue<string>(out var kn) ? registry.Find(kn) : null;
            var token = "{" + param + "}";
            families[name] = texts;
            for (var k = 0; k < texts.Count; k++)
            {
                var stageName = $"{name}-{texts[k]}";
                if (!taken.Add(stageName)) { errors.Add(new SpecError(fpath, $"expansion '{stageName}' clashes with another stage's name")); continue; }
                var copy = so.DeepClone().AsObject();
                copy.Remove("foreach");
                if (copy["inputs"] is JsonObject ins)
                    foreach (var (i, v) in ins.ToList())
                        ins[i] = v switch
                        {
                            JsonValue x when x.TryGetValue<string>(out var t) => JsonValue.Create(t.Replace(token, texts[k])),
                            JsonArray a => new JsonArray(a.Select(e => e is JsonValue y && y.TryGetValue<string>(out var t) ? JsonValue.Create(t.Replace(token, texts[k])) : e?.DeepClone()).ToArray()),
                            _ => v?.DeepClone(),
                        };
                var ps = copy["params"] as JsonObject ?? new JsonObject();
                foreach (var (p, v) in ps.ToList())
                    if (v is JsonValue x && x.TryGetValue<string>(out var t))
                        ps[p] = t == token ? values[k]!.DeepClone() : JsonValue.Create(t.Replace(token, texts[k]));
                if (kind is not null && kind.Params.Any(d => d.Name == param) && !ps.ContainsKey(param)) ps[param] = values[k]!.DeepClone();
                copy["params"] = ps;
                output[stageName] = copy;
            }
        }
        return output;
    }

    /// <summary>" (did you mean "epochs"?)" for the known name nearest a misspelt one (at most a third of it edited), else "".</summary>
    public static string DidYouMean(string given, IEnumerable<string> known)
    {
        var best = known.Distinct().Select(k => (Name: k, Cost: Distance(given.ToLowerInvariant(), k.ToLowerInvariant())))
            .Where(c => c.Name != given).OrderBy(c => c.Cost).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is not null && best.Cost <= Math.Max(1, given.Length / 3) ? $" (did you mean \"{best.Name}\"?)" : "";
    }

    /// <summary>Edits (insert, delete, substitute, swap two neighbours) from one name to another.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    private static bool IsValidName(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static string FirstSentence(string m)
    {
        var i = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return i > 0 ? m[..i].TrimEnd('.', ' ') : m;
    }
}
