using System.Runtime.InteropServices;
using System.Text;

namespace Fkd.Stages.Tests.Torch;

/// <summary>Runs only where the fix has work to do; otherwise skipped, saying why.</summary>
public sealed class NativeFixFactAttribute : FactAttribute
{
    public NativeFixFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
            Skip = "the libtorch loader fix is for Linux x64 only";
        else if (NativeFixTests.SystemLibStdCxxHas(NativeFixTests.Version))
            Skip = $"nothing to fix: the system libstdc++ has {NativeFixTests.Version}";
        else if (File.Exists(NativeFixTests.Wrapper) && NativeFixTests.VernauxFlags(File.ReadAllBytes(NativeFixTests.Wrapper), NativeFixTests.Version) is null)
            Skip = $"this TorchSharp build does not require {NativeFixTests.Version}";
    }
}

/// <summary>Checks what the build did to the copy of libLibTorchSharp.so next to this assembly.</summary>
public sealed class NativeFixTests
{
    internal const string Version = "GLIBCXX_3.4.32";
    internal static readonly string Wrapper = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [NativeFixFact]
    public void Built_wrapper_has_weak_requirement_when_system_libstdcxx_lacks_it()
    {
        Assert.True(File.Exists(Wrapper), $"expected the native wrapper at {Wrapper}");
        var flags = VernauxFlags(File.ReadAllBytes(Wrapper), Version);
        Assert.NotNull(flags);
        Assert.Equal(2, flags.Value & 2);
    }

    internal static bool SystemLibStdCxxHas(string version)
    {
        string[] candidates = ["/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6"];
        var path = candidates.FirstOrDefault(File.Exists);
        if (path is null) return true; // unknown: do not demand the patch
        return File.ReadAllBytes(path).AsSpan().IndexOf(Encoding.ASCII.GetBytes(version)) >= 0;
    }

    /// <summary>vna_flags of the Elf64_Vernaux entry with that name, walking the section headers.</summary>
    internal static int? VernauxFlags(byte[] b, string name)
    {
        ushort U16(long o) => BitConverter.ToUInt16(b, (int)o);
        uint U32(long o) => BitConverter.ToUInt32(b, (int)o);
        long U64(long o) => (long)BitConverter.ToUInt64(b, (int)o);
        string Str(long o) { var e = (int)o; while (b[e] != 0) e++; return Encoding.ASCII.GetString(b, (int)o, e - (int)o); }

        Assert.True(b[0] == 0x7f && b[1] == 'E' && b[4] == 2 && b[5] == 1, "64-bit little-endian ELF expected");
        var shoff = U64(0x28); int shentsize = U16(0x3A), shnum = U16(0x3C), shstrndx = U16(0x3E);
        long Sh(int i) => shoff + (long)i * shentsize;
        var shstr = U64(Sh(shstrndx) + 24);
        for (var i = 0; i < shnum; i++)
        {
            if (Str(shstr + U32(Sh(i))) != ".gnu.version_r") continue;
            var off = U64(Sh(i) + 24);
            var dynstr = U64(Sh((int)U32(Sh(i) + 40)) + 24);
            var vn = off;
            for (var n = 0u; n < U32(Sh(i) + 44); n++)
            {
                var aux = vn + U32(vn + 8);
                for (var a = 0; a < U16(vn + 2); a++)
                {
                    if (Str(dynstr + U32(aux + 8)) == name) return U16(aux + 4);
                    aux += U32(aux + 12);
                }
                vn += U32(vn + 12);
            }
        }
        return null;
    }
}
