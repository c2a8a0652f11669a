namespace Fkd.Stages.Split;

/// <summary>A row → group CSV (e.g. faces-real's train_sources.csv): a <c>row</c> column (0-based source row) and a group column.</summary>
public static class GroupsFile
{
    public static Dictionary<long, string> Read(string path, string column)
    {
        var csv = SimpleCsv.Read(path);
        var rowIx = csv.IndexOf("row");
        var gIx = csv.IndexOf(column);
        if (rowIx < 0 || gIx < 0)
            throw new InvalidDataException($"{csv.Name}:1:1: header: expected columns 'row' and '{column}', found {csv.HeaderLine}");
        var map = new Dictionary<long, string>();
        foreach (var (line, f) in csv.Rows(strictBlank: true))
        {
            if (f.Length != csv.Header.Length || !long.TryParse(f[rowIx], out var row))
                throw new InvalidDataException($"{csv.Name}:{line}:1: expected {csv.Header.Length} fields with an integer row");
            if (!map.TryAdd(row, f[gIx]))
                throw new InvalidDataException($"{csv.Name}:{line}:{rowIx + 1}: row: expected each row once, found row {row} again");
        }
        return map;
    }
}
