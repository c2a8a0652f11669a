using System.Text;

namespace Fkd.Cli.Tests.EndToEnd;

/// <summary>
/// The CLI restarts itself once with MALLOC_ARENA_MAX=1 (see OneMallocArena): checked on a live process, the
/// `ui` server, through /proc/PID/environ: the environment of what now runs under the process id we started.
/// </summary>
public sealed class MallocArenaTests
{
    private static (string? Arena, string Name) ArenaSettingOfALiveCli(string? preset)
    {
        var store = Directory.CreateTempSubdirectory("fkd-arena-");
        using var p = CliProcess.StartWithout(["MALLOC_ARENA_MAX"], preset is null ? null : new Dictionary<string, string> { ["MALLOC_ARENA_MAX"] = preset },
            "ui", "--store", store.FullName, "--port", "0");
        try
        {
            _ = p.StandardError.ReadToEndAsync();
            var line = p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1)).GetAwaiter().GetResult();
            Assert.StartsWith("http://127.0.0.1:", line);
            var environ = File.ReadAllBytes($"/proc/{p.Id}/environ");
            var arena = Encoding.UTF8.GetString(environ).Split('\0')
                .FirstOrDefault(v => v.StartsWith("MALLOC_ARENA_MAX=", StringComparison.Ordinal))?["MALLOC_ARENA_MAX=".Length..];
            return (arena, File.ReadAllText($"/proc/{p.Id}/comm").Trim());
        }
        finally
        {
            try { p.Kill(entireProcessTree: true); p.WaitForExit(); } catch (InvalidOperationException) { }
            try { store.Delete(true); } catch (IOException) { }
        }
    }

    [LinuxFact]
    public void The_cli_runs_with_one_malloc_arena() =>
        Assert.Equal(("1", "dotnet"), ArenaSettingOfALiveCli(preset: null)); // restarted, under the host's own name

    [LinuxFact]
    public void A_setting_the_user_made_is_kept() => Assert.Equal("4", ArenaSettingOfALiveCli(preset: "4").Arena);
}

/// <summary>glibc's malloc arenas and /proc are Linux's: elsewhere skipped, saying so.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "glibc malloc arenas and /proc: Linux only";
    }
}
