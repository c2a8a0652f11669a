using System.Diagnostics;

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

    private (int Exit, string Trace) RunCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Fkd.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LD_DEBUG"] = "libs";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var outp = p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "the CLI did not finish");
        return (p.ExitCode, err.Result + outp.Result);
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
        var (exit, trace) = RunCli("run", RepoPaths.InRepo("pipelines", "full.json"), "--store", Path.Combine(_dir, "artifacts"), "--dry-run");
        Assert.True(exit == 0, trace[^Math.Min(trace.Length, 2000)..]);
        Assert.Contains("libcoreclr", trace);
        Assert.DoesNotContain("libtorch", trace);
    }
}
