namespace Fkd.Stages.Faces;

/// <summary>
/// The small side-files stages read (lookup tables, group lists): a header of column names, then
/// comma-separated rows without quoting. Columns are found by name; rows keep their 1-based line
/// for error messages; blank lines are skipped.
/// </summary>
public sealed class SimpleCsv
{
    public string Name { get; }
    public string[] Header { get; }
    public string HeaderLine { get; }
    private readonly string[] _lines;

    private SimpleCsv(string name, string[] header, string headerLine, string[] lines)
    {
        Name = name; Header = header; HeaderLine = headerLine; _lines = lines;
    }

    public static SimpleCsv Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var headerLine = lines.Length > 0 ? lines[0] : "";
        var header = lines.Length > 0 ? headerLine.TrimStart('\uFEFF').Split(',') : [];
        return new SimpleCsv(Path.GetFileName(path), header, headerLine, lines);
    }

    /// <summary>The index of a column, or -1.</summary>
    public int IndexOf(string column) => Array.IndexOf(Header, column);

    /// <summary>
    /// Data rows with their 1-based line numbers. Empty lines are skipped; whitespace-only lines too
    /// unless <paramref name="strictBlank"/>, where they come back as a row (and fail its checks).
    /// </summary>
    public IEnumerable<(int Line, string[] Fields)> Rows(bool strictBlank = false)
    {
        for (var i = 1; i < _lines.Length; i++)
        {
            var l = _lines[i];
            if (l.Length == 0 || (!strictBlank && l.Trim().Length == 0)) continue;
            yield return (i + 1, l.Split(','));
        }
    }
}
