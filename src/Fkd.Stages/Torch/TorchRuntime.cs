using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Fkd.Stages.Torch;

/// <summary>
/// One place that prepares the process for libtorch. Nothing here touches TorchSharp until a
/// method that needs it is called, so loading this class does not load libtorch.
/// </summary>
public static class TorchRuntime
{
    public const string TorchSharpVersion = "0.107.0";
    public const string LibTorchVersion = "2.10.0";

    private static readonly object Gate = new();
    private static bool _nativeTuned;
    private static bool _initialized;
    private static int _threads;

    /// <summary>
    /// Call before the first torch tensor is created. On Linux it first tunes glibc malloc
    /// (no trimming, no mmap for large blocks: otherwise every large tensor allocation pays page
    /// faults and training runs several times slower) and asks OpenMP for sleeping rather than
    /// spinning waiters (OMP_WAIT_POLICY=PASSIVE unless already set), then sets torch's thread counts.
    /// <paramref name="threads"/>: a positive count sets it; null or &lt;= 0 keeps the current count
    /// (all cores on the first call). Safe to call repeatedly; the malloc tuning happens once, the
    /// thread count is applied again when it changes.
    /// </summary>
    public static void EnsureInitialized(int? threads = null)
    {
        lock (Gate)
        {
            var wanted = threads is > 0 ? threads.Value : _initialized ? _threads : Environment.ProcessorCount;
            if (!_nativeTuned)
            {
                TuneNativeEnvironment();
                _nativeTuned = true;
            }
            if (_initialized && _threads == wanted) return;
            ApplyThreads(wanted, setInterop: !_initialized);
            _threads = wanted;
            _initialized = true;
        }
    }

    /// <summary>Threads applied by the last <see cref="EnsureInitialized"/> (0 before it ran).</summary>
    public static int Threads { get { lock (Gate) return _threads; } }

    /// <summary>Resolves "auto" | "cpu" | "cuda" to the device actually used: "cpu" or "cuda".</summary>
    public static string DeviceName(string requested)
    {
        switch ((requested ?? "auto").Trim().ToLowerInvariant())
        {
            case "cpu":
                return "cpu";
            case "cuda":
                if (!CudaAvailable())
                    throw new InvalidOperationException("Device 'cuda' was requested but CUDA is not available in this build of libtorch.");
                return "cuda";
            case "auto":
            case "":
                return CudaAvailable() ? "cuda" : "cpu";
            default:
                throw new ArgumentException($"Unknown device '{requested}' (expected auto, cpu or cuda).", nameof(requested));
        }
    }

    /// <summary>
    /// Facts that change numeric results, for cache keys: package versions and the device "auto"
    /// resolves to, e.g. "torchsharp=0.107.0;libtorch=2.10.0;device=cpu". Does not load libtorch
    /// when only the CPU build of libtorch is present.
    /// </summary>
    public static string VersionFacts => $"torchsharp={TorchSharpVersion};libtorch={LibTorchVersion};device={DeviceName("auto")}";

    /// <summary>Facts for an explicit device request (see <see cref="VersionFacts"/>).</summary>
    public static string VersionFactsFor(string requestedDevice) =>
        $"torchsharp={TorchSharpVersion};libtorch={LibTorchVersion};device={DeviceName(requestedDevice)}";

    private static bool? _cuda;

    /// <summary>
    /// CUDA needs libtorch's CUDA library next to the app. Without it (the CPU package) the answer
    /// is "no" without loading libtorch, so cache keys can be computed cheaply; with it, ask torch.
    /// </summary>
    private static bool CudaAvailable()
    {
        lock (Gate)
        {
            if (_cuda is { } known) return known;
            _cuda = CudaLibraryShipped() && AskTorchForCuda();
            return _cuda.Value;
        }
    }

    private static bool CudaLibraryShipped()
    {
        var baseDir = AppContext.BaseDirectory;
        foreach (var dir in new[] { baseDir, Path.Combine(baseDir, "runtimes", "linux-x64", "native"), Path.Combine(baseDir, "runtimes", "win-x64", "native") })
        {
            if (!Directory.Exists(dir)) continue;
            if (Directory.EnumerateFiles(dir, "libtorch_cuda*").Any() || Directory.EnumerateFiles(dir, "torch_cuda*").Any())
                return true;
        }
        return false;
    }

    // Kept in separate methods so the JIT only resolves TorchSharp when they run.
    private static bool AskTorchForCuda()
    {
        EnsureInitialized();
        return cuda.is_available();
    }

    private static void ApplyThreads(int threads, bool setInterop)
    {
        set_num_threads(threads);
        if (setInterop)
        {
            // Interop threads can only be set once, before any inter-op parallel work starts.
            try { set_num_interop_threads(threads); }
            catch (Exception) { /* already started: keep libtorch's choice */ }
        }
    }

    private const int M_TRIM_THRESHOLD = -1;
    private const int M_MMAP_MAX = -4;

    private static unsafe void TuneNativeEnvironment()
    {
        if (!OperatingSystem.IsLinux()) return;
        // "libc.so.6" explicitly: plain "libc" can resolve to the libc.so linker script.
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc)) return;
        if (NativeLibrary.TryGetExport(libc, "mallopt", out var malloptFn)) // absent: not glibc
        {
            var mallopt = (delegate* unmanaged<int, int, int>)malloptFn;
            mallopt(M_TRIM_THRESHOLD, int.MaxValue);
            mallopt(M_MMAP_MAX, 0);
        }
        // libtorch's OpenMP threads spin while waiting by default. On a machine whose cores are
        // shared with other work that made 2-thread training 3-4x slower than 1 thread (and burnt
        // 4x the CPU time); sleeping waiters fixed it. libgomp reads this when it is loaded, which
        // is with libtorch, after this point. A value the user has set is kept (overwrite = 0).
        // Environment.SetEnvironmentVariable would not reach native getenv, hence setenv.
        if (NativeLibrary.TryGetExport(libc, "setenv", out var setenvFn))
        {
            var setenv = (delegate* unmanaged<byte*, byte*, int, int>)setenvFn;
            fixed (byte* name = "OMP_WAIT_POLICY\0"u8)
            fixed (byte* value = "PASSIVE\0"u8)
                setenv(name, value, 0);
        }
    }
}
