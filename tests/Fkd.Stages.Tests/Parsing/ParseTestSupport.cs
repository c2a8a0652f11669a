using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Fkd.Stages.Tests.Parsing;

/// <summary>Finds the repository root (the folder holding Fkd.Flow.sln) and the shared data next to it.</summary>
public static class RepoPaths
{
    public static string? Root
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Fkd.Flow.sln"))) return d.FullName;
            return null;
        }
    }

    public static string Corpus => Path.Combine(Root ?? throw new InvalidOperationException("repo root not found"),
        "tests", "Fkd.Stages.Tests", "Corpus", "parse");

    /// <summary>../shared/data/faces-real relative to the repo root (null when the root is unknown).</summary>
    public static string? FacesReal => Root is { } r ? Path.GetFullPath(Path.Combine(r, "..", "shared", "data", "faces-real")) : null;
}

/// <summary>A fact that is skipped, with a message, when a shared real-data file is absent.</summary>
public sealed class RealDataFactAttribute : FactAttribute
{
    public RealDataFactAttribute(string fileName)
    {
        var dir = RepoPaths.FacesReal;
        if (dir is null || !File.Exists(Path.Combine(dir, fileName)))
            Skip = $"real data absent: {fileName} not found in {dir ?? "../shared/data/faces-real (repo root not found)"}";
    }
}

/// <summary>A fact that runs only when FKD_BENCH=1 (slow: writes and reads a ~240 MB file).</summary>
public sealed class BenchFactAttribute : FactAttribute
{
    public BenchFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("FKD_BENCH") != "1") Skip = "benchmark: set FKD_BENCH=1 to run";
    }
}

/// <summary>Expands corpus templates ({PIX:n}, {RAMP}) into real files in a temp folder.</summary>
public sealed class CorpusFixture : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "fkd-parse-" + Guid.NewGuid().ToString("N")[..8]);

    public CorpusFixture()
    {
        Directory.CreateDirectory(Dir);
        foreach (var src in Directory.GetFiles(RepoPaths.Corpus, "*.csv"))
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
