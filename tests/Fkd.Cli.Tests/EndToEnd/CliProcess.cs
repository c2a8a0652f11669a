using System.Diagnostics;

namespace Fkd.Cli.Tests.EndToEnd;

/// <summary>The built CLI (beside the test assembly) run as a child process: its exit code and what it printed.</summary>
public static class CliProcess
{
    public sealed record Result(int Exit, string Stdout, string Stderr)
    {
        public string Tail => (Stderr + Stdout)[^Math.Min(Stderr.Length + Stdout.Length, 2000)..];
    }

    /// <summary>Starts the CLI with its output redirected; the caller reads it and ends the process.</summary>
    public static Process Start(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartWithout([], environment, args);

    /// <summary>As <see cref="Start"/>, with the variables named in <paramref name="unset"/> taken out of the inherited environment.</summary>
    public static Process StartWithout(IEnumerable<string> unset, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Fkd.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var k in unset) psi.Environment.Remove(k);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    public static Result Run(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var p = Start(environment, args);
        var err = p.StandardError.ReadToEndAsync();
        var outp = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(entireProcessTree: true); throw new TimeoutException("the CLI did not finish in 5 minutes"); }
        return new Result(p.ExitCode, outp.Result, err.Result);
    }
}
