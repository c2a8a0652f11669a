namespace Fkd.Cli.Tests.EndToEnd;

/// <summary>
/// libtorch is hundreds of megabytes of native code: a pipeline without torch stages must not load it.
/// The CLI runs as a child process under glibc's loader trace (LD_DEBUG=libs), which names every
/// shared object the process opens, whoever opens it.
/// </summary>
public sealed class NativeLoadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-native-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static (int Exit, string Trace) RunCli(params string[] args)
    {
        var r = CliProcess.Run(new Dictionary<string, string> { ["LD_DEBUG"] = "libs" }, args);
        return (r.Exit, r.Stderr + r.Stdout);
    }

    [LinuxFact]
    public void A_data_only_pipeline_never_loads_libtorch()
    {
        var store = Path.Combine(_dir, "artifacts");
        var (exit, trace) = RunCli("run", RepoPaths.InRepo("pipelines", "data.json"), "--store", store,
            "--set", "faces.train_rows=80", "--set", "faces.test_rows=8", "--set", "faces.duplicate_groups=2", "--set", "faces.wrong_labels=1");
        Assert.True(exit == 0, trace[^Math.Min(trace.Length, 2000)..]);
        // The trace is there (the check can see libraries load) and names no part of libtorch.
        Assert.Contains("libSkiaSharp", trace);
        Assert.DoesNotContain("libtorch", trace);
        Assert.DoesNotContain("libLibTorchSharp", trace);
    }

    [LinuxFact]
    public void A_dry_run_of_a_training_pipeline_does_not_load_it_either()
    {
        // Keys of torch stages hold the backend facts, which are constants: planning needs no libtorch.
        var store = Path.Combine(_dir, "artifacts");
        var (exit, trace) = RunCli("run", RepoPaths.InRepo("pipelines", "full.json"), "--store", store, "--dry-run");
        Assert.True(exit == 0, trace[^Math.Min(trace.Length, 2000)..]);
        Assert.False(Directory.Exists(store)); // and a dry run writes nothing, not even the store's folder
        Assert.Contains("libcoreclr", trace);
        Assert.DoesNotContain("libtorch", trace);
    }
}
