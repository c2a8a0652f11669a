using System.Diagnostics;
using System.Net.Sockets;

namespace Fkd.Tests;

/// <summary>
/// A real S3 server for the tests: s3rver from npm (pinned by tests/s3rver/package-lock.json), on 127.0.0.1
/// at a free port, over a fresh data folder, with the bucket <see cref="Bucket"/>. It is started through
/// tests/s3rver/serve.js, which exits when its standard input closes: disposing closes it (and kills the
/// process if it lingers), and a test process that dies closes it too, so no server outlives its tests.
/// Use it as an xunit class fixture; each test takes its own prefix (<see cref="NewUrl"/>).
/// </summary>
public sealed class S3rverServer : IDisposable
{
    public const string Bucket = "fkd-test";

    /// <summary>s3rver's built-in account.</summary>
    public const string AccessKey = "S3RVER", SecretKey = "S3RVER";

    public string Endpoint { get; }

    /// <summary>Where s3rver keeps the buckets' objects (see <see cref="ObjectFile"/>).</summary>
    public string DataDir { get; }

    private readonly Process? _node;
    private readonly System.Text.StringBuilder _stderr = new();

    public static string PackageDir => RepoPaths.InRepo("tests", "s3rver");

    /// <summary>Why the server cannot run here (node or npm not installed), or null.</summary>
    public static string? Unavailable =>
        OnPath("node") is null ? "node absent: not found on PATH (apt-get install nodejs npm)"
        : OnPath("npm") is null ? "npm absent: not found on PATH (apt-get install npm)"
        : RepoPaths.Root is null ? "repo root not found (no Fkd.Flow.sln above the test binaries)"
        : null;

    public S3rverServer()
    {
        // Where it cannot run, its tests are skipped (S3rverFact); xunit may still make the class fixture.
        Endpoint = DataDir = "";
        if (Unavailable is not null) return;
        EnsureInstalled();
        DataDir = Directory.CreateTempSubdirectory("fkd-s3rver-").FullName;
        var psi = new ProcessStartInfo(OnPath("node")!)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = PackageDir,
        };
        foreach (var a in new[] { Path.Combine(PackageDir, "serve.js"), DataDir, "0", Bucket }) psi.ArgumentList.Add(a);
        _node = Process.Start(psi)!;
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _node.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith("listening ", StringComparison.Ordinal) && int.TryParse(line["listening ".Length..], out var p))
                port.TrySetResult(p);
        };
        _node.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (_stderr) _stderr.AppendLine(line); };
        _node.Exited += (_, _) => port.TrySetException(new InvalidOperationException($"s3rver exited ({_node!.ExitCode}): {StdErr}"));
        _node.EnableRaisingEvents = true;
        _node.BeginOutputReadLine();
        _node.BeginErrorReadLine();
        try
        {
            if (!port.Task.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException($"s3rver did not start in 60 s: {StdErr}");
            Endpoint = $"http://127.0.0.1:{port.Task.Result}";
            WaitUntilAnswering(port.Task.Result);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private string StdErr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>A fresh <c>s3://</c> URL (its own prefix) in the bucket, so tests sharing the server never meet.</summary>
    public string NewUrl(string name = "t") => $"s3://{Bucket}/{name}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>The environment that points the CLI (or the SDK) at this server.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["FKD_S3_ENDPOINT"] = Endpoint, ["AWS_ACCESS_KEY_ID"] = AccessKey, ["AWS_SECRET_ACCESS_KEY"] = SecretKey, ["AWS_REGION"] = "us-east-1",
    };

    /// <summary>The file in which s3rver keeps the bytes of <paramref name="objectKey"/> (<c>DATA/BUCKET/dirs/NAME._S3rver_object</c>).</summary>
    public string ObjectFile(string objectKey)
    {
        var parts = objectKey.Split('/');
        return Path.Combine([DataDir, Bucket, .. parts[..^1], $"{parts[^1]}._S3rver_object"]);
    }

    public void Dispose()
    {
        if (_node is null) return;
        try { _node.StandardInput.Close(); } catch (Exception e) when (e is IOException or InvalidOperationException) { }
        try
        {
            if (!_node.WaitForExit(TimeSpan.FromSeconds(5))) _node.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        _node.Dispose();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }

    private static void WaitUntilAnswering(int port)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            try
            {
                using var r = http.GetAsync($"http://127.0.0.1:{port}/").Result; // any HTTP answer will do
                return;
            }
            catch (AggregateException e) when (e.InnerException is HttpRequestException or TaskCanceledException or SocketException && DateTime.UtcNow < until)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>Runs <c>npm ci</c> in tests/s3rver once (under a lock: test projects run at the same time) when node_modules is missing.</summary>
    private static void EnsureInstalled()
    {
        var marker = Path.Combine(PackageDir, "node_modules", "s3rver", "package.json");
        if (File.Exists(marker)) return;
        using var lk = LockFile(Path.Combine(Path.GetTempPath(), "fkd-s3rver-npm-ci.lock"));
        if (File.Exists(marker)) return;
        var psi = new ProcessStartInfo(OnPath("npm")!) { WorkingDirectory = PackageDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "ci", "--no-audit", "--no-fund" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var outp = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(entireProcessTree: true); throw new TimeoutException("npm ci (tests/s3rver) did not finish in 5 minutes"); }
        if (p.ExitCode != 0 || !File.Exists(marker))
            throw new InvalidOperationException($"npm ci in tests/s3rver failed ({p.ExitCode}): {err.Result}{outp.Result}");
    }

    private static FileStream LockFile(string path)
    {
        var until = DateTime.UtcNow.AddMinutes(6);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < until) { Thread.Sleep(200); }
        }
    }

    private static string? OnPath(string name) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}

/// <summary>A fact that needs the s3rver test server: skipped, with the reason, where node or npm is not installed.</summary>
public sealed class S3rverFactAttribute : FactAttribute
{
    public S3rverFactAttribute()
    {
        if (S3rverServer.Unavailable is { } why) Skip = why;
    }
}
