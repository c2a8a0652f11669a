namespace Fkd.Tests;

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

    /// <summary>A folder of the repository, from its root (e.g. <c>tests/Fkd.Stages.Tests/Parse/Corpus</c>).</summary>
    public static string InRepo(params string[] parts) =>
        Path.Combine([Root ?? throw new InvalidOperationException("repo root not found (no Fkd.Flow.sln above the test binaries)"), .. parts]);

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

/// <summary>A fact that needs a headless browser: skipped, with the reason, where Debian's chromium is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Path = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Path)) Skip = $"browser absent: {Path} not found (apt-get install chromium)";
    }

    /// <summary>The DOM headless chromium built from a page (scripts run), with a throwaway profile.</summary>
    public static string DumpDom(string url)
    {
        var profile = Directory.CreateTempSubdirectory("fkd-chromium-").FullName;
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                         $"--user-data-dir={profile}", "--dump-dom", url })
                psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            _ = p.StandardError.ReadToEndAsync();
            var dom = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(entireProcessTree: true); throw new TimeoutException("chromium did not finish in 2 minutes"); }
            return dom.Result;
        }
        finally { try { Directory.Delete(profile, true); } catch (IOException) { } }
    }
}

/// <summary>A fact that reads what glibc's loader reports: skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux (glibc's loader trace)";
    }
}
