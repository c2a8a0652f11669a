using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;


namespace Fkd.Stages.Tests.Parse;

/// <summary>Expands corpus templates ({PIX:n}, {RAMP}) into real files in a temp folder.</summary>
public sealed class CorpusFixture : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "fkd-parse-" + Guid.NewGuid().ToString("N")[..8]);

    public CorpusFixture()
    {
        Directory.CreateDirectory(Dir);
        foreach (var src in Directory.GetFiles(RepoPaths.InRepo("tests", "Fkd.Stages.Tests", "Parse", "Corpus", "parse"), "*.csv"))
            File.WriteAllBytes(Path.Combine(Dir, Path.GetFileName(src)), Expand(File.ReadAllBytes(src)));
    }

    public string this[string name] => Path.Combine(Dir, name);

    public static string Pix(int n) => string.Join(' ', Enumerable.Repeat("7", n));
    public static string Ramp => string.Join(' ', Enumerable.Range(0, 9216).Select(i => (i % 256).ToString()));

    public static byte[] Expand(byte[] template)
    {
        var text = Encoding.UTF8.GetString(template); // keeps a BOM as U+FEFF, re-encoded below
        text = Regex.Replace(text, @"\{PIX:(\d+)\}", m => Pix(int.Parse(m.Groups[1].Value)));
        text = text.Replace("{RAMP}", Ramp);
        return new UTF8Encoding(false).GetBytes(text);
    }

    public string Gzip(string name)
    {
        var gz = this[name] + ".gz";
        using (var o = File.Create(gz))
        using (var z = new GZipStream(o, CompressionLevel.Fastest))
            z.Write(File.ReadAllBytes(this[name]));
        return gz;
    }

    public string Zip(string zipName, params string[] names)
    {
        var zip = Path.Combine(Dir, zipName);
        File.Delete(zip);
        using var a = ZipFile.Open(zip, ZipArchiveMode.Create);
        a.CreateEntry("readme.txt").Open().Dispose();
        foreach (var n in names) a.CreateEntryFromFile(this[n], n);
        return zip;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
