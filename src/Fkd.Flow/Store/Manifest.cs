using LanguageExt;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fkd.Flow.Keys;

namespace Fkd.Flow.Store;

/// <summary>One file of a committed entry, with its size and content hash (XxHash128, hex).</summary>
public sealed record ManifestFile(string Name, long Bytes, string Xxh128, long? Rows);

/// <summary>
/// The record of a committed entry. It is written last, inside the entry's temporary folder, just
/// before the folder is renamed into place: an entry without a readable manifest was never committed.
/// </summary>
public sealed record Manifest(
    int Format,
    string Key,
    string Stage,
    KeyMaterial Material,
    ImmutableArray<ManifestFile> Files,
    long Rows,
    ImmutableSortedDictionary<string, string> Facts,
    DateTimeOffset Created,
    double Seconds)
{
    public const string FileName = "manifest.json";

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a manifest; any problem (missing, truncated, wrong format or key) is a reason, never an exception.</summary>
    public static Either<string, Manifest> Read(string path, string expectedKey)
    {
        try
        {
            if (!File.Exists(path)) return "no manifest";
            return Parse(File.ReadAllText(path), expectedKey);
        }
        catch (IOException e)
        {
            return $"unreadable manifest: {e.Message}";
        }
    }

    /// <summary>A manifest from its JSON text (e.g. downloaded from a shared store), checked like <see cref="Read"/>.</summary>
    public static Either<string, Manifest> Parse(string json, string expectedKey)
    {
        try
        {
            var m = JsonSerializer.Deserialize<Manifest>(json, Json);
            if (m is null) return "empty manifest";
            if (m.Format != KeyMaterial.CurrentFormatVersion) return $"manifest format {m.Format}, expected {KeyMaterial.CurrentFormatVersion}";
            if (m.Key != expectedKey) return $"manifest key {m.Key} does not match its folder";
            if (m.Files.IsDefault || m.Material is null) return "manifest lacks files or key material";
            return m;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return $"unreadable manifest: {e.Message}";
        }
    }
}
