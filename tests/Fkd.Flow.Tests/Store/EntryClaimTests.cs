using System.Diagnostics;
using Fkd.Flow.Store;

namespace Fkd.Flow.Tests.Store;

/// <summary>Needs util-linux's flock(1) to hold the same OS lock from another process.</summary>
public sealed class FlockFactAttribute : FactAttribute
{
    public FlockFactAttribute()
    {
        if (!File.Exists("/usr/bin/flock")) Skip = "needs /usr/bin/flock (util-linux) to hold a lock from another process";
    }
}

public sealed class EntryClaimTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ArtifactStore _store;
    private static readonly string Key = new('c', 64);

    public EntryClaimTests() => _store = new ArtifactStore(_dir.File("store"));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void One_holder_at_a_time_and_who_holds_it_is_on_record()
    {
        using (var first = EntryClaim.TryTake(_store, Key, "run-1"))
        {
            Assert.NotNull(first);
            Assert.Null(first!.Previous);
            Assert.Null(EntryClaim.TryTake(_store, Key, "run-2"));
            var holder = EntryClaim.HolderOf(_store, Key);
            Assert.Equal(("run-1", Environment.ProcessId, Environment.MachineName), (holder!.Run, holder.Pid, holder.Host));
        }
        Assert.Null(EntryClaim.HolderOf(_store, Key));
        using var again = EntryClaim.TryTake(_store, Key, "run-2");
        Assert.NotNull(again);
        Assert.Null(again!.Previous); // the first holder released it properly: no dead holder to report
    }

    [Fact]
    public void A_holder_record_left_behind_is_a_dead_holder_and_its_claim_is_taken_over()
    {
        Directory.CreateDirectory(_store.ClaimsDir);
        File.WriteAllText(Path.Combine(_store.ClaimsDir, Key + ".lock"), "");
        File.WriteAllText(Path.Combine(_store.ClaimsDir, Key + ".holder"),
            """{"pid": 999999, "host": "elsewhere", "started": "2026-01-01T00:00:00+00:00", "run": "crashed"}""");
        Assert.Null(EntryClaim.HolderOf(_store, Key)); // nobody holds the lock
        using var claim = EntryClaim.TryTake(_store, Key, "run-2");
        Assert.Equal("crashed", claim!.Previous!.Run);
    }

    [FlockFact]
    public void A_killed_holders_claim_is_free_as_soon_as_its_process_is_gone()
    {
        Directory.CreateDirectory(_store.ClaimsDir);
        var lockFile = Path.Combine(_store.ClaimsDir, Key + ".lock");
        // Another process takes the same OS lock (flock(2), as the claim does) and then dies by SIGKILL.
        using var holder = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["-x", lockFile, "sleep", "60"]))!;
        var sw = Stopwatch.StartNew();
        while (EntryClaim.HolderOf(_store, Key) is null && sw.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
        Assert.NotNull(EntryClaim.HolderOf(_store, Key));
        Assert.Null(EntryClaim.TryTake(_store, Key, "run-2"));

        holder.Kill(entireProcessTree: true);
        holder.WaitForExit();
        sw.Restart();
        EntryClaim? taken = null;
        while (taken is null && sw.Elapsed < TimeSpan.FromSeconds(10)) { taken = EntryClaim.TryTake(_store, Key, "run-2"); if (taken is null) Thread.Sleep(10); }
        using (taken)
        {
            Assert.NotNull(taken);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed} to take over");
        }
    }

    [Fact]
    public void Clean_up_leaves_the_folders_of_claimed_keys_alone()
    {
        var other = new string('d', 64);
        var mine = _store.BeginEntry(Key);
        var abandoned = _store.BeginEntry(other);
        using (EntryClaim.TryTake(_store, Key, "run-1"))
        {
            Assert.Equal(1, _store.CleanTmp());
            Assert.True(Directory.Exists(mine));
            Assert.False(Directory.Exists(abandoned));
        }
        Assert.Equal(1, _store.CleanTmp());
        Assert.False(Directory.Exists(mine));
    }

    [Fact]
    public void A_live_runs_planned_keys_are_known_until_it_ends()
    {
        var keys = new[] { new string('1', 64), new string('2', 64) };
        using (LiveRun.Start(_store, "20260101-000000-aaaa", keys))
            Assert.Equal(keys.ToHashSet(), LiveRun.PlannedKeys(_store));
        Assert.Empty(LiveRun.PlannedKeys(_store));
        Assert.Empty(Directory.GetFiles(_store.LiveDir));
    }
}
