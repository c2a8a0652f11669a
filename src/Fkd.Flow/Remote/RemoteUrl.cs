using LanguageExt;

namespace Fkd.Flow.Remote;

/// <summary>
/// Where a shared store is: <c>s3://BUCKET</c> or <c>s3://BUCKET/PREFIX</c>. The prefix is a folder of
/// plain segments (letters, digits, <c>_ - .</c>; never <c>.</c> or <c>..</c>), so two prefixes never overlap
/// by accident and nothing a user types can address an object outside it.
/// </summary>
public sealed record RemoteUrl(string Bucket, string Prefix)
{
    public const string Scheme = "s3://";

    /// <summary>The object key of a name under the prefix (e.g. <c>files/abc…</c>).</summary>
    public string ObjectKey(string name) => Prefix.Length == 0 ? name : $"{Prefix}/{name}";

    public override string ToString() => Prefix.Length == 0 ? $"{Scheme}{Bucket}" : $"{Scheme}{Bucket}/{Prefix}";

    public static Either<string, RemoteUrl> Parse(string? text)
    {
        const string form = "expected s3://BUCKET or s3://BUCKET/PREFIX";
        if (string.IsNullOrWhiteSpace(text)) return $"empty remote URL ({form})";
        var quoted = System.Text.Json.JsonSerializer.Serialize(text);
        if (!text.StartsWith(Scheme, StringComparison.Ordinal))
            return $"remote URL {quoted} does not start with {Scheme} ({form}; only S3 is supported)";
        var rest = text[Scheme.Length..].TrimEnd('/');
        var slash = rest.IndexOf('/');
        var (bucket, prefix) = slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..]);
        if (BucketProblem(bucket) is { } b) return $"remote URL {quoted}: {b} ({form})";
        if (prefix.Length > 0)
        {
            foreach (var seg in prefix.Split('/'))
            {
                if (seg.Length == 0) return $"remote URL {quoted}: the prefix has an empty segment (two slashes)";
                if (seg is "." or "..") return $"remote URL {quoted}: the prefix may not contain {seg}";
                if (!seg.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                    return $"remote URL {quoted}: prefix segment {System.Text.Json.JsonSerializer.Serialize(seg)} may hold only letters, digits, '_', '-' and '.'";
            }
            if (prefix.Length > 512) return $"remote URL {quoted}: the prefix is longer than 512 characters";
        }
        return new RemoteUrl(bucket, prefix);
    }

    /// <summary>S3's rules for bucket names (3–63 characters: lower-case letters, digits, '.', '-'; a letter or digit at each end).</summary>
    private static string? BucketProblem(string b)
    {
        if (b.Length == 0) return "no bucket name";
        if (b.Length is < 3 or > 63) return $"bucket name \"{b}\" must have 3 to 63 characters";
        if (!b.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '-'))
            return $"bucket name \"{b}\" may hold only lower-case letters, digits, '.' and '-'";
        if (!char.IsAsciiLetterOrDigit(b[0]) || !char.IsAsciiLetterOrDigit(b[^1])) return $"bucket name \"{b}\" must begin and end with a letter or digit";
        if (b.Contains("..")) return $"bucket name \"{b}\" may not contain \"..\"";
        return null;
    }
}
