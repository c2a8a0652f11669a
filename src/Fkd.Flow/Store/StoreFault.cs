namespace Fkd.Flow.Store;

/// <summary>Recognises the faults of the disk under a store (full, read-only, not permitted) so they can be said plainly.</summary>
public static class StoreFault
{
    private const int ENOSPC = 28, EROFS = 30, EDQUOT = 122;

    /// <summary>A plain description when <paramref name="e"/> is a write fault of a path under <paramref name="root"/>; null otherwise.</summary>
    public static string? Describe(Exception e, string root)
    {
        if (e is not (IOException or UnauthorizedAccessException)) return null;
        var code = e.HResult & 0xFFFF;
        var kind = code switch
        {
            ENOSPC => "the disk is full",
            EDQUOT => "the disk quota is used up",
            EROFS => "the file system is read-only",
            _ when e is UnauthorizedAccessException => "writing is not permitted",
            _ when e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) => "the disk is full",
            _ when e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase) => "the file system is read-only",
            _ => null,
        };
        return kind is null || !e.Message.Contains(root, StringComparison.Ordinal) && !IsUnder(e, root) ? null : $"{kind} ({e.Message})";
    }

    private static bool IsUnder(Exception e, string root) =>
        e is UnauthorizedAccessException && e.Message.Contains(Path.GetFileName(root.TrimEnd('/')), StringComparison.Ordinal);
}
