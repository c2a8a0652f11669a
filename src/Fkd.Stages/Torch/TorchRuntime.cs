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
    private static bool _prepared;
    private static bool _interopSet;

    /// <summary>
    /// Prepares the process for libtorch, once, without loading it: on Linux it tunes glibc malloc (no
    /// trimming, no mmap for large blocks: otherwise every large tensor allocation pays page faults and
    /// training runs several times slower) and asks OpenMP for sleeping rather than spinning waiters
    /// (OMP_WAIT_POLICY=PASSIVE unless already set). The composition root calls it at start-up, before
    /// any large allocation; <see cref="ApplyThreads"/> calls it too, so a host that forgot still gets it.
    /// </summary>
    public static void PrepareProcess()
    {
        lock (Gate)
        {
            if (_prepared) return;
            TuneNativeEnvironment();
            _prepared = true;
        }
    }

    /// <summary>
    /// Sets torch's intra-op thread count for this process and for the calling thread (OpenMP keeps
    /// the count per thread). Callers go through <see cref="TorchGate"/>, so no two torch stages ask
    /// for different counts at once. The inter-op count can be set only once, before any inter-op work.
    /// </summary>
    internal static void ApplyThreads(int threads)
    {
        PrepareProcess();
        lock (Gate)
        {
            SetThreads(threads, setInterop: !_interopSet);
            _interopSet = true;
        }
    }

    /// <summary>The device a request resolves to: "cpu" or "cuda".</summary>
    public static string DeviceName(TorchDevice requested) => requested switch
    {
        TorchDevice.Cpu => "cpu",
        TorchDevice.Cuda => CudaAvailable() ? "cuda"
            : throw new InvalidOperationException("Device 'cuda' was requested but CUDA is not available in this build of libtorch."),
        _ => CudaAvailable() ? "cuda" : "cpu",
    };

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
        PrepareProcess();
        return cuda.is_available();
    }

    private static void SetThreads(int threads, bool setInterop)
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
        if (Libc.TryExport("mallopt", out var malloptFn)) // absent: not glibc
        {
            var mallopt = (delegate* unmanaged<int, int, int>)malloptFn;
            mallopt(M_TRIM_THRESHOLD, int.MaxValue);
            mallopt(M_MMAP_MAX, 0);
        }
        // libtorch's OpenMP threads spin while waiting by default. On a machine whose cores are
        // shared with other work that made 2-thread training 3-4x slower than 1 thread (and burnt
        // 4x the CPU time); sleeping waiters fixed it. libgomp reads this when it is loaded, which
        // is with libtorch, after this point. A value the user has set is kept (no overwrite).
        Libc.SetEnv("OMP_WAIT_POLICY", "PASSIVE", overwrite: false);
    }
}
