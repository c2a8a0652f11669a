using System.Collections.Immutable;

namespace Fkd.Flow.Keys;

/// <summary>
/// Everything a stage's key is made of, kept in its manifest so a later run can say which part
/// changed. Nothing machine-specific (paths, user, environment) belongs here.
/// </summary>
/// <param name="Inputs">Input name → the key it resolved to (a stage entry key, <c>key/file</c>, or <c>file:xxh128</c> for a file on disk; a list input: <see cref="ListKey"/> of its elements' keys).</param>
public sealed record KeyMaterial(
    string Kind,
    int Version,
    string Params,
    ImmutableSortedDictionary<string, string> Inputs,
    string Facts,
    int FormatVersion)
{
    /// <summary>Bumped when the store's layout or manifest format changes meaning: every key changes with it.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>
    /// The key material of a list input: <c>list:N:</c> then each element's key length-prefixed
    /// (<c>LEN:key</c>), so the encoding is unambiguous whatever the keys hold, and order matters.
    /// </summary>
    public static string ListKey(IEnumerable<string> keys)
    {
        var ks = keys.ToList();
        return $"list:{ks.Count}:" + string.Concat(ks.Select(k => $"{k.Length}:{k}"));
    }

    public string Key()
    {
        var b = new KeyBuilder()
            .Add("fkd-stage-key", "1")
            .Add("kind", Kind)
            .Add("version", Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("params", Params)
            .Add("inputs", Inputs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, key) in Inputs) b.Add("input:" + name, key);
        return b.Add("facts", Facts)
            .Add("format", FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Finish();
    }

    /// <summary>Human-readable differences from an earlier material, e.g. <c>param epochs: 10 → 12</c>.</summary>
    public ImmutableArray<string> DiffFrom(KeyMaterial before)
    {
        var d = ImmutableArray.CreateBuilder<string>();
        if (before.Kind != Kind) d.Add($"kind: {before.Kind} → {Kind}");
        if (before.Version != Version) d.Add($"stage version: {before.Version} → {Version}");
        if (before.FormatVersion != FormatVersion) d.Add($"artifact format: {before.FormatVersion} → {FormatVersion}");
        if (before.Facts != Facts) d.Add($"environment facts: {before.Facts} → {Facts}");
        if (before.Params != Params)
        {
            var a = ParamsOf(before.Params);
            var b = ParamsOf(Params);
            foreach (var k in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
            {
                var x = a.GetValueOrDefault(k);
                var y = b.GetValueOrDefault(k);
                if (x != y) d.Add($"param {k}: {x ?? "(absent)"} → {y ?? "(absent)"}");
            }
        }
        foreach (var k in before.Inputs.Keys.Union(Inputs.Keys).Order(StringComparer.Ordinal))
        {
            var x = before.Inputs.GetValueOrDefault(k);
            var y = Inputs.GetValueOrDefault(k);
            if (x == y) continue;
            if (x is not null && y is not null && ParseListKey(x) is { } xs && ParseListKey(y) is { } ys)
                d.AddRange(ListDiff(k, xs, ys));
            else d.Add($"input {k}: {Short(x)} → {Short(y)}");
        }
        return d.ToImmutable();
    }

    /// <summary>The element keys of a <see cref="ListKey"/>, or null when <paramref name="key"/> is not one.</summary>
    public static IReadOnlyList<string>? ParseListKey(string key)
    {
        if (!key.StartsWith("list:", StringComparison.Ordinal)) return null;
        var colon = key.IndexOf(':', 5);
        if (colon < 0 || !int.TryParse(key.AsSpan(5, colon - 5), out var n)) return null;
        var items = new List<string>(n);
        var at = colon + 1;
        for (var i = 0; i < n; i++)
        {
            var c = key.IndexOf(':', at);
            if (c < 0 || !int.TryParse(key.AsSpan(at, c - at), out var len) || c + 1 + len > key.Length) return null;
            items.Add(key.Substring(c + 1, len));
            at = c + 1 + len;
        }
        return at == key.Length ? items : null;
    }

    /// <summary>
    /// The stored entries an input's key material refers to: an entry key (<c>File</c> null), <c>key/file</c>,
    /// or each element of a <see cref="ListKey"/>, in order. A file on disk (<c>file:hash</c>) refers to none.
    /// </summary>
    public static IEnumerable<(string Entry, string? File)> EntryRefs(string input)
    {
        if (ParseListKey(input) is { } items) return items.SelectMany(EntryRefs);
        if (input.Length < 64 || !Store.StoreNames.IsKey(input[..64])) return [];
        if (input.Length == 64) return [(input, null)];
        return input[64] == '/' ? [(input[..64], input[65..])] : [];
    }

    /// <summary>A list input's change element by element: which positions now hold another key, and what was added or removed at the end.</summary>
    private static IEnumerable<string> ListDiff(string name, IReadOnlyList<string> before, IReadOnlyList<string> after)
    {
        var common = Math.Min(before.Count, after.Count);
        for (var i = 0; i < common; i++)
            if (before[i] != after[i]) yield return $"input {name}[{i}]: {Short(before[i])} → {Short(after[i])}";
        for (var i = common; i < after.Count; i++) yield return $"input {name}[{i}]: added {Short(after[i])}";
        for (var i = common; i < before.Count; i++) yield return $"input {name}[{i}]: removed {Short(before[i])}";
    }

    private static string Short(string? key) =>
        key is null ? "(absent)"
        : key.StartsWith("list:") ? $"list of {key.Split(':')[1]}"
        : key.StartsWith("file:") ? key[..Math.Min(key.Length, 17)]
        : key.IndexOf('/') is > 0 and var slash ? key[..Math.Min(12, slash)] + key[slash..] // an entry's file: key prefix/file
        : key[..Math.Min(12, key.Length)];

    private static Dictionary<string, string> ParamsOf(string json)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        return node.ToDictionary(p => p.Key, p => CanonicalJson.Write(p.Value));
    }
}
