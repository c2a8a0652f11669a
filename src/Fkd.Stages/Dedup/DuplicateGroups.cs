using System.Globalization;
using System.Text;

namespace Fkd.Stages.Dedup;

/// <summary>A set of rows with byte-identical images.</summary>
public sealed record DuplicateGroup(string Hash, ImmutableArray<long> Ids);

/// <summary>dedup's groups.csv, written and read in this one place: <c>image_hash,size,ids</c> (ids space-separated).</summary>
public static class DuplicateGroups
{
    public const string Header = "image_hash,size,ids";

    public static string ToCsv(IEnumerable<DuplicateGroup> groups)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var g in groups)
            sb.Append(g.Hash).Append(',').Append(g.Ids.Length).Append(',').Append(string.Join(' ', g.Ids)).Append('\n');
        return sb.ToString();
    }

    public static ImmutableArray<DuplicateGroup> Read(string path)
    {
        var name = Path.GetFileName(path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || !lines[0].StartsWith(Header, StringComparison.Ordinal))
            throw new InvalidDataException($"{name}:1:1: header: expected {Header}");
        var res = ImmutableArray.CreateBuilder<DuplicateGroup>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(',');
            if (f.Length != 3) throw new InvalidDataException($"{name}:{i + 1}:1: expected 3 fields, found {f.Length}");
            var ids = ImmutableArray.CreateBuilder<long>();
            foreach (var id in f[2].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                ids.Add(long.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
                    ? v : throw new InvalidDataException($"{name}:{i + 1}:{f[0].Length + f[1].Length + 3}: ids: expected integers, found \"{id}\""));
            res.Add(new DuplicateGroup(f[0], ids.ToImmutable()));
        }
        return res.ToImmutable();
    }
}
