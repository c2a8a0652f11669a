using System.Runtime.InteropServices;
using System.Text;

namespace Fkd.Stages.Torch;

/// <summary>The few glibc calls the process setup needs, looked up at run time (nothing is bound when libc is not glibc).</summary>
internal static class Libc
{
    /// <summary>A function of libc.so.6 ("libc.so.6" explicitly: plain "libc" can resolve to the libc.so linker script).</summary>
    public static bool TryExport(string name, out nint fn)
    {
        fn = 0;
        return OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, name, out fn);
    }

    /// <summary>True on glibc: it has mallopt, which other C libraries lack.</summary>
    public static bool IsGlibc => TryExport("mallopt", out _);

    /// <summary>
    /// setenv(3) in the native environment, which native code (glibc, libgomp, an exec'd image) reads;
    /// Environment.SetEnvironmentVariable changes only .NET's copy. False when it could not be set.
    /// </summary>
    public static unsafe bool SetEnv(string name, string value, bool overwrite)
    {
        if (!TryExport("setenv", out var fn)) return false;
        var setenv = (delegate* unmanaged<byte*, byte*, int, int>)fn;
        fixed (byte* n = Encoding.UTF8.GetBytes(name + "\0"))
        fixed (byte* v = Encoding.UTF8.GetBytes(value + "\0"))
            return setenv(n, v, overwrite ? 1 : 0) == 0;
    }
}
