using System.Diagnostics;
using Fkd.Cli.Tests.EndToEnd;
using Fkd.Tests;
using Npgsql;

namespace Fkd.Cli.Tests.Cluster;

/// <summary>
/// PostgreSQL and s3rver on 127.0.0.1, started by <c>deploy/local-cluster.sh up --workers 0</c> (the way a
/// user starts them) in a temporary folder, watching this test process so that they stop by themselves if
/// it dies. Each test takes a <see cref="Space"/> of its own: a database (so Hangfire's queues and the
/// commits are its own), a prefix of the shared store, and the workers it starts.
/// </summary>
public sealed class LocalCluster : IDisposable
{
    private readonly string _state = "";
    private readonly Dictionary<string, string> _env = new();

    public string Script => RepoPaths.InRepo("deploy", "local-cluster.sh");

    /// <summary>Why the cluster cannot run here, or null.</summary>
    public static string? Unavailable
    {
        get
        {
            if (!OperatingSystem.IsLinux()) return "needs Linux";
            if (OnPath("node") is null || OnPath("npm") is null) return "node or npm absent (apt-get install nodejs npm)";
            var pg = (OnPath("initdb") is { } i ? [i] : Array.Empty<string>())
                .Concat(Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "initdb")) : []);
            if (!pg.Any(File.Exists)) return "PostgreSQL absent: no initdb on PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql-15)";
            if (System.Environment.UserName == "root" && !File.Exists("/usr/sbin/runuser")) return "running as root without runuser to start PostgreSQL as its own user";
            return null;
        }
    }

    public LocalCluster()
    {
        if (Unavailable is not null) return;
        _state = Directory.CreateTempSubdirectory("fkd-cluster-").FullName;
        var r = Bash(["up", "--workers", "0", "--watch", System.Environment.ProcessId.ToString()], TimeSpan.FromMinutes(6));
        if (r.Exit != 0) throw new InvalidOperationException($"local-cluster.sh up failed ({r.Exit}): {r.Stderr}");
        _env = Fkd.Cli.Cluster.LocalClusterExports.Parse(r.Stdout);
    }

    public IReadOnlyDictionary<string, string> Environment => _env;

    /// <summary>Where s3rver keeps the bucket's objects.</summary>
    public string S3Data => Path.Combine(_state, "s3");

    public Space NewSpace(string name) => new(this, name);

    internal CliProcess.Result Bash(string[] args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["FKD_CLUSTER_DIR"] = _state;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var outp = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(entireProcessTree: true); throw new TimeoutException($"local-cluster.sh {args[0]} did not finish"); }
        return new CliProcess.Result(p.ExitCode, outp.Result, err.Result);
    }

    public void Dispose()
    {
        if (_state.Length == 0) return;
        try { Bash(["down", "--purge"], TimeSpan.FromMinutes(1)); } catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException) { }
    }

    private static string? OnPath(string name) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>One test's part of the cluster: its database, its prefix of the shared store, its workers and their stores.</summary>
    public sealed class Space : IDisposable
    {
        private readonly LocalCluster _cluster;
        private readonly List<Process> _workers = new();
        public string Root { get; }
        public string Db { get; }
        public string Remote { get; }
        public string Prefix { get; }

        internal Space(LocalCluster cluster, string name)
        {
            _cluster = cluster;
            var id = $"{name}_{Guid.NewGuid().ToString("N")[..8]}".ToLowerInvariant();
            Root = Directory.CreateTempSubdirectory($"fkd-space-{name}-").FullName;
            using (var c = new NpgsqlConnection(cluster._env["FKD_DB"]))
            {
                c.Open();
                using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{id}\"", c);
                cmd.ExecuteNonQuery();
            }
            Db = new NpgsqlConnectionStringBuilder(cluster._env["FKD_DB"]) { Database = id }.ConnectionString;
            new Fkd.Flow.Cluster.ClusterDb(Db).EnsureSchemaAsync(CancellationToken.None).GetAwaiter().GetResult();
            Prefix = id;
            Remote = $"s3://fkd/{id}";
        }

        /// <summary>The environment that points the CLI at this space.</summary>
        public Dictionary<string, string> Env(IReadOnlyDictionary<string, string>? more = null)
        {
            var e = new Dictionary<string, string>(_cluster._env) { ["FKD_DB"] = Db, ["FKD_REMOTE"] = Remote };
            foreach (var (k, v) in more ?? new Dictionary<string, string>()) e[k] = v;
            return e;
        }

        public string StoreOf(string name) => Path.Combine(Root, name);

        /// <summary>Starts a worker (its output is drained into a log file beside its store).</summary>
        public Process StartWorker(string name, params string[] extra)
        {
            var args = new List<string> { "--store", StoreOf(name), "worker", "--name", name, "--invisibility-timeout", "8" };
            args.AddRange(extra);
            var p = CliProcess.Start(Env(), [.. args]);
            var log = new StreamWriter(Path.Combine(Root, name + ".log")) { AutoFlush = true };
            p.OutputDataReceived += (_, e) => { if (e.Data is { } l) lock (log) log.WriteLine(l); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is { } l) lock (log) log.WriteLine(l); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            lock (_workers) _workers.Add(p);
            return p;
        }

        public string WorkerLog(string name) => File.Exists(Path.Combine(Root, name + ".log")) ? ReadShared(Path.Combine(Root, name + ".log")) : "";

        private static string ReadShared(string path)
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(fs).ReadToEnd();
        }

        public CliProcess.Result Cli(string store, params string[] args) => CliProcess.Run(Env(), ["--store", StoreOf(store), .. args]);

        /// <summary>Rows of a query on this space's database.</summary>
        public List<object?[]> Query(string sql)
        {
            using var c = new NpgsqlConnection(Db);
            c.Open();
            using var cmd = new NpgsqlCommand(sql, c);
            using var r = cmd.ExecuteReader();
            var rows = new List<object?[]>();
            while (r.Read())
            {
                var row = new object?[r.FieldCount];
                for (var i = 0; i < r.FieldCount; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
                rows.Add(row);
            }
            return rows;
        }

        public void Dispose()
        {
            lock (_workers)
                foreach (var p in _workers)
                {
                    try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(5000); } catch (InvalidOperationException) { }
                    p.Dispose();
                }
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

/// <summary>A fact that needs PostgreSQL and node for a local cluster: skipped, with the reason, where they are not installed.</summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute()
    {
        if (LocalCluster.Unavailable is { } why) Skip = why;
    }

    /// <summary>The test looks at pages in headless chromium too: skipped, with the reason, without it.</summary>
    public bool Browser
    {
        get => false;
        init
        {
            if (value && Skip is null && !File.Exists(ChromiumFactAttribute.Path)) Skip = $"browser absent: {ChromiumFactAttribute.Path} not found (apt-get install chromium)";
        }
    }
}

[CollectionDefinition("cluster")]
public sealed class ClusterCollection : ICollectionFixture<LocalCluster>;
