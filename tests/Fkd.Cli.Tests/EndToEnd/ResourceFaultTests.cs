using System.Diagnostics;

namespace Fkd.Cli.Tests.EndToEnd;

/// <summary>Mounts a small tmpfs for the test's store: needs root and mount(8); skipped with the reason elsewhere.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) { Skip = "tmpfs is Linux's"; return; }
        if (Environment.UserName != "root") { Skip = "mounting a tmpfs needs root"; return; }
        var dir = Directory.CreateTempSubdirectory("fkd-tmpfs-probe-").FullName;
        try
        {
            if (ResourceFaultTests.Sh($"mount -t tmpfs -o size=1m tmpfs '{dir}'") != 0) Skip = "mount -t tmpfs was refused here (a container without the right to mount)";
            else ResourceFaultTests.Sh($"umount '{dir}'");
        }
        finally { Directory.Delete(dir); }
    }
}

/// <summary>A full disk or a read-only store: one clear error naming the store, nothing partial left behind.</summary>
public sealed class ResourceFaultTests : IDisposable
{
    private readonly string _mount = Directory.CreateTempSubdirectory("fkd-tmpfs-").FullName;
    private bool _mounted;

    internal static int Sh(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        p.WaitForExit();
        return p.ExitCode;
    }

    private void Mount(string size)
    {
        Assert.Equal(0, Sh($"mount -t tmpfs -o size={size} tmpfs '{_mount}'"));
        _mounted = true;
    }

    public void Dispose()
    {
        if (_mounted) Sh($"umount '{_mount}'");
        try { Directory.Delete(_mount, true); } catch (IOException) { }
    }

    private static string[] Run(string store, params string[] extra) =>
        ["run", RepoPaths.InRepo("pipelines", "data.json"), "--store", store, "--set", "faces.train_rows=400", "--set", "faces.test_rows=20", .. extra];

    /// <summary>Nothing half-made: no temp folder, no claim held or on record, and every entry that is there verifies.</summary>
    private static void AssertNothingPartial(string store)
    {
        var tmp = Path.Combine(store, "tmp");
        Assert.True(!Directory.Exists(tmp) || Directory.GetDirectories(tmp).Length == 0, "a temp folder was left behind");
        var claims = Path.Combine(store, "claims");
        Assert.True(!Directory.Exists(claims) || Directory.GetFiles(claims, "*.holder").Length == 0, "a claim was left on record");
        var verify = CliProcess.Run(null, "verify", "--store", store);
        Assert.True(verify.Exit == 0, verify.Tail);
    }

    [TmpfsFact]
    public void A_full_disk_is_one_clear_error_and_leaves_nothing_partial()
    {
        Mount("3m"); // room for the source's CSVs, not for every face table after them
        var store = Path.Combine(_mount, "artifacts");
        var r = CliProcess.Run(null, Run(store));
        Assert.Equal(ExitCodes.Failure, r.Exit);
        Assert.Contains($"into the store {store}: the disk is full", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        AssertNothingPartial(store);
    }

    [TmpfsFact]
    public void A_read_only_store_is_one_clear_error_and_is_left_as_it_was()
    {
        Mount("64m");
        var store = Path.Combine(_mount, "artifacts");
        Assert.Equal(0, CliProcess.Run(null, Run(store, "--set", "faces.train_rows=100")).Exit);
        var before = Directory.GetFileSystemEntries(store, "*", SearchOption.AllDirectories).Order().ToList();
        Assert.Equal(0, Sh($"mount -o remount,ro '{_mount}'"));

        var r = CliProcess.Run(null, Run(store)); // new keys: this run would have to write
        Assert.Equal(ExitCodes.Failure, r.Exit);
        Assert.Contains($"cannot start a run in the store {store}: the file system is read-only", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal(before, Directory.GetFileSystemEntries(store, "*", SearchOption.AllDirectories).Order());
        Assert.Equal(0, CliProcess.Run(null, Run(store, "--set", "faces.train_rows=100", "--dry-run")).Exit); // reading still works
    }
}
