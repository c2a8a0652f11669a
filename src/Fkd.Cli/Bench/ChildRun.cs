using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fkd.Cli.Bench;

/// <summary>One child process as a benchmark runs it: its exit code, wall seconds, the JSON object it printed last, its stderr.</summary>
public sealed record ChildRun(int ExitCode, double Seconds, JsonObject? Json, string Stderr)
{
    /// <summary>The CLI itself: the dotnet host running this assembly, for a child `dotnet Fkd.Cli.dll ...`.</summary>
    public static (string Exe, string Dll) Cli =>
        (Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet", typeof(ChildRun).Assembly.Location);

    public static ChildRun Run(string exe, string[] args, string cwd, IReadOnlyDictionary<string, string>? env, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("FKD_STORE");
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var sw = Stopwatch.StartNew();
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {exe}");
        var stdout = proc.StandardOutput.ReadToEndAsync(ct);
        var stderr = proc.StandardError.ReadToEndAsync(ct);
        proc.WaitForExit();
        var seconds = sw.Elapsed.TotalSeconds;
        JsonObject? json = null;
        try { json = JsonNode.Parse(stdout.Result.Trim().Split('\n').LastOrDefault() ?? "") as JsonObject; } catch (JsonException) { }
        return new ChildRun(proc.ExitCode, seconds, json, stderr.Result);
    }
}
