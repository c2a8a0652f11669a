using System.Runtime.InteropServices;
using System.Text;

namespace Fkd.Stages.Torch;

/// <summary>
/// Makes every thread of the process allocate from glibc's main arena, by restarting the process once, at
/// the top of Main, with <c>MALLOC_ARENA_MAX=1</c> in its environment (exec of the same host: same process id,
/// same arguments, same standard streams).
/// <para>Why: glibc gives a thread other than the main one an arena of its own, made of 64 MB heaps, and a
/// block that does not fit one (a batch's activations often do not: naimishnet's first convolution
/// output is 71 MB at batch 64) is mmap'd and unmapped on free whatever M_MMAP_MAX says. A pipeline runs
/// its trainer on a pool thread, so it paid a page fault per 4 KB of every large tensor: one naimishnet
/// epoch on real faces took 5.5 M faults and a third of its time in the kernel, against 0.4 M when
/// the same process ran with one arena. The main arena grows without that limit.</para>
/// <para>Why not <c>mallopt(M_ARENA_MAX, 1)</c>: arenas the runtime's own threads made before Main stay,
/// and new threads are handed those in turn (measured: no change). glibc reads the variable only at start.</para>
/// A variable the user has set (any value) is kept and nothing restarts; elsewhere than Linux with glibc,
/// nothing happens.
/// </summary>
public static class OneMallocArena
{
    public const string Variable = "MALLOC_ARENA_MAX";

    /// <summary>Returns when the process already has what it needs (or cannot get it); otherwise does not return.</summary>
    public static unsafe void EnsureOrRestart()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null) return;
        if (!Libc.IsGlibc || !Libc.TryExport("execv", out var execvFn)) return;
        byte[] cmdline;
        try { cmdline = File.ReadAllBytes("/proc/self/cmdline"); }
        catch (IOException) { return; }
        catch (UnauthorizedAccessException) { return; }
        var args = SplitCmdline(cmdline);
        if (args.Count == 0) return;

        if (!Libc.SetEnv(Variable, "1", overwrite: true)) return;

        // argv as C strings; on success exec does not return, and the memory goes with the old image.
        var argv = new nint[args.Count + 1];
        for (var i = 0; i < args.Count; i++) argv[i] = Marshal.StringToCoTaskMemUTF8(args[i]);
        // The host's own path rather than /proc/self/exe, whose name the process would then carry ("exe" in ps and top).
        var exe = Marshal.StringToCoTaskMemUTF8(Environment.ProcessPath is { Length: > 0 } self && File.Exists(self) ? self : "/proc/self/exe");
        var execv = (delegate* unmanaged<nint, nint*, int>)execvFn;
        fixed (nint* p = argv) execv(exe, p);
        // exec failed: carry on in this process, as it is (slower torch stages, nothing else differs).
        foreach (var a in argv) if (a != 0) Marshal.FreeCoTaskMem(a);
        Marshal.FreeCoTaskMem(exe);
    }

    /// <summary>/proc/PID/cmdline's arguments: NUL-terminated strings, one after another.</summary>
    public static IReadOnlyList<string> SplitCmdline(ReadOnlySpan<byte> cmdline)
    {
        var args = new List<string>();
        while (!cmdline.IsEmpty)
        {
            var end = cmdline.IndexOf((byte)0);
            if (end < 0) end = cmdline.Length;
            args.Add(Encoding.UTF8.GetString(cmdline[..end]));
            cmdline = end < cmdline.Length ? cmdline[(end + 1)..] : [];
        }
        return args;
    }
}
