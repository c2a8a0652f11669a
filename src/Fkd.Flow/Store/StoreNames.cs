namespace Fkd.Flow.Store;

/// <summary>
/// What may name a folder or file inside the store (a pipeline's refs folder, a stage's ref, an output
/// file): one path segment, never <c>.</c>, <c>..</c>, a separator or a hidden name. Spec validation
/// checks names with it before anything runs; the store checks again before it writes, so nothing a
/// pipeline file, <c>--set</c> or an entry names can write outside the store's root.
/// </summary>
public static class StoreNames
{
    public const int MaxLength = 100;

    public static bool IsSafe(string? name) =>
        name is { Length: > 0 and <= MaxLength } && name[0] != '.'
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    /// <summary>A stored entry's key: 64 lower-case hex digits.</summary>
    public static bool IsKey(string? key) => key is { Length: 64 } && key.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary><paramref name="name"/> as a checked segment, or an error naming what was about to be written.</summary>
    public static string Segment(string name, string what) =>
        IsSafe(name) ? name : throw new ArgumentException($"refusing to write {what} named {System.Text.Json.JsonSerializer.Serialize(name)}: not a plain name inside the store");

    /// <summary>A path under <paramref name="root"/>, checked to stay there.</summary>
    public static string Under(string root, params string[] segments)
    {
        var full = Path.GetFullPath(Path.Combine([root, .. segments]));
        var r = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return full.StartsWith(r, StringComparison.Ordinal) ? full
            : throw new ArgumentException($"refusing to write outside {root}: {string.Join("/", segments)}");
    }
}
