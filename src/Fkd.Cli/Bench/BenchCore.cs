using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fkd.Cli.Bench;

/// <summary>
/// How a benchmark was asked to run. Repeats null = the benchmark's default. Data: the folder a benchmark reads
/// (bench accuracy's faces-real folder); Epochs null = its default; Store: where a benchmark keeps the child runs it
/// means to reuse (null = the CLI's default store).
/// </summary>
public sealed record BenchSettings(int? Repeats = null, bool Quick = false, string? Model = null, bool All = false,
    string? Data = null, int? Epochs = null, string? Store = null)
{
    public int RepeatsOr(int normal, int quick) => Repeats is > 0 ? Repeats.Value : Quick ? quick : normal;
}

/// <summary>What a peer gave: its figure, or why there is none (not installed, failed, timed out).</summary>
public sealed record PeerResult(string Name, double? Value, string? Absent, JsonObject? Output)
{
    public static PeerResult Missing(string name, string why) => new(name, null, why, null);

    /// <summary>"pandas", or "pandas (absent: why)" when it could not run.</summary>
    public string Label => Absent is null ? Name : $"{Name} (absent: {Absent})";
}

/// <summary>One benchmark's answer, printed as one JSON object with --json.</summary>
public sealed record BenchReport(string Name, double Value, string Unit, string Peer, double? PeerValue, double? Ratio, JsonObject Details)
{
    /// <summary>How to read the ratio, in the printed line: speeds and times by default; other figures say their own.</summary>
    public string RatioReads { get; init; } = ">1 = we are faster";

    /// <summary>
    /// Combines our figure with the peer's. <paramref name="higherIsBetter"/>: true for speeds (ratio = ours / peer),
    /// false for times (ratio = peer / ours). Either way a ratio above 1 means we are faster. A peer without a
    /// figure gives a null value and ratio, never an invented one.
    /// </summary>
    public static BenchReport Combine(string name, double value, string unit, PeerResult peer, bool higherIsBetter, JsonObject details) =>
        new(name, value, unit, peer.Label, peer.Absent is null ? peer.Value : null,
            peer.Absent is null ? Ratios.Of(value, peer.Value, higherIsBetter) : null, details);

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["value"] = Value,
        ["unit"] = Unit,
        ["peer"] = Peer,
        ["peer_value"] = PeerValue,
        ["ratio"] = Ratio,
        ["details"] = Details.DeepClone(),
    };

    public string ToText()
    {
        var ratio = Ratio is { } r ? $"{r:0.00}x" : "n/a";
        var peer = PeerValue is { } p ? $"{p:0.###} {Unit}" : "n/a";
        return $"{Name}: {Value:0.###} {Unit}   peer {Peer}: {peer}   ratio ({RatioReads}): {ratio}";
    }
}

public static class Ratios
{
    /// <summary>ours / peer for speeds, peer / ours for times; null when either is missing, not finite or not positive.</summary>
    public static double? Of(double ours, double? peer, bool higherIsBetter)
    {
        if (peer is not { } p || !double.IsFinite(p) || !double.IsFinite(ours) || p <= 0 || ours <= 0) return null;
        return higherIsBetter ? ours / p : p / ours;
    }

    public static double Median(IEnumerable<double> values)
    {
        var a = values.Order().ToArray();
        if (a.Length == 0) throw new ArgumentException("No values.");
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    public static JsonArray Array(IEnumerable<double> values) => new([.. values.Select(v => (JsonNode)Math.Round(v, 6))]);
}

/// <summary>Runs a peer's script and returns the one JSON object it printed last on stdout.</summary>
public interface IPeerRunner
{
    /// <summary>Either the script's JSON output, or why it could not run.</summary>
    (JsonObject? Output, string? Error) Run(string script, IReadOnlyList<string> args, TimeSpan timeout);
}

/// <summary>
/// Runs bench/peers/*.py (embedded in this assembly) with a Python interpreter: $FKD_BENCH_PYTHON, else
/// /usr/bin/python3 (where Debian's python3-* packages install), else python3 on PATH. The script does its own
/// timing and prints one JSON object; {"error": "..."} (e.g. a missing module) means the peer is absent.
/// </summary>
public sealed class PythonPeerRunner : IPeerRunner
{
    public static string Interpreter =>
        Environment.GetEnvironmentVariable("FKD_BENCH_PYTHON") is { Length: > 0 } p ? p
        : File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    public (JsonObject? Output, string? Error) Run(string script, IReadOnlyList<string> args, TimeSpan timeout)
    {
        try { ReadScript(script); }
        catch (FileNotFoundException e) { return (null, e.Message); }
        var dir = Directory.CreateTempSubdirectory("fkd-peer-");
        try
        {
            // Every peer script beside the one run, so that a script can import a shared module (torch_models.py).
            foreach (var (name, other) in Scripts()) File.WriteAllText(Path.Combine(dir.FullName, name), other);
            var path = Path.Combine(dir.FullName, script);
            var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(path);
            foreach (var a in args) psi.ArgumentList.Add(a);
            // The same OpenMP wait policy as ours (TorchRuntime sets it natively, which a child does not inherit
            // from .NET's copy of the environment): spinning waiters make a peer several times slower whenever
            // anything else runs on the machine. A value the user set is passed on as it is.
            if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null) psi.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
            Process proc;
            try { proc = Process.Start(psi) ?? throw new InvalidOperationException("no process"); }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            { return (null, $"cannot start {Interpreter}: {e.Message}"); }
            using (proc)
            {
                var stdout = proc.StandardOutput.ReadToEndAsync();
                var stderr = proc.StandardError.ReadToEndAsync();
                if (!proc.WaitForExit(timeout))
                {
                    try { proc.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    return (null, $"timed out after {timeout.TotalSeconds:0} s");
                }
                proc.WaitForExit();
                var last = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
                JsonObject? json = null;
                try { json = last is null ? null : JsonNode.Parse(last) as JsonObject; } catch (JsonException) { }
                if (json?["error"] is { } err) return (null, err.ToString());
                if (proc.ExitCode != 0 || json is null)
                {
                    var why = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
                    return (null, $"{script} exited with {proc.ExitCode}{(why is null ? "" : ": " + why)}");
                }
                return (json, null);
            }
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Every embedded bench/peers script: file name and text.</summary>
    public static IEnumerable<(string Name, string Text)> Scripts() =>
        typeof(PythonPeerRunner).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("peers/", StringComparison.Ordinal))
            .Select(n => (n["peers/".Length..], ReadScript(n["peers/".Length..])));

    /// <summary>The text of bench/peers/NAME, embedded in this assembly at build time.</summary>
    public static string ReadScript(string name)
    {
        var asm = typeof(PythonPeerRunner).Assembly;
        using var s = asm.GetManifestResourceStream("peers/" + name)
            ?? throw new FileNotFoundException($"peer script {name} is not embedded in this build");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}

public static class Peers
{
    /// <summary>Runs a peer and reads its figure from the numeric field <paramref name="valueField"/>.</summary>
    public static PeerResult Measure(IPeerRunner runner, string name, string script, IReadOnlyList<string> args, string valueField, TimeSpan timeout)
    {
        var (output, error) = runner.Run(script, args, timeout);
        if (error is not null) return PeerResult.Missing(name, error);
        if (output?[valueField] is not JsonValue v || !v.TryGetValue<double>(out var value) || !double.IsFinite(value))
            return PeerResult.Missing(name, $"{script} printed no numeric '{valueField}'");
        return new PeerResult(name, value, null, output);
    }
}

public static class BuildInfo
{
    /// <summary>True when the assembly was compiled without optimisation (a Debug build).</summary>
    public static bool IsDebug(Assembly asm) =>
        asm.GetCustomAttribute<DebuggableAttribute>() is { IsJITOptimizerDisabled: true };

    /// <summary>~/.cache/fkd-bench (or $XDG_CACHE_HOME/fkd-bench), else the temp folder's fkd-bench.</summary>
    public static string CacheDir()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var root = xdg is { Length: > 0 } ? xdg : home is { Length: > 0 } && Directory.Exists(home) ? Path.Combine(home, ".cache") : Path.GetTempPath();
        return Path.Combine(root, "fkd-bench");
    }
}
