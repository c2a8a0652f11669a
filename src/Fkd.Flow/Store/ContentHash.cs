using System.IO.Hashing;

namespace Fkd.Flow.Store;

/// <summary>Content hashes of files: XxHash128, hex. Fast enough (GB/s) to hash inputs on every cold run.</summary>
public static class ContentHash
{
    public static string OfFile(string path)
    {
        var h = new XxHash128();
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        h.Append(s);
        return Convert.ToHexStringLower(h.GetCurrentHash());
    }
}
