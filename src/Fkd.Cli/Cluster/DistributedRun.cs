using Fkd.Flow.Cluster;
using Fkd.Flow.Exec;
using Fkd.Flow.Store;
using Serilog;

namespace Fkd.Cli.Cluster;

/// <summary><c>run --distributed</c>: the plan made as for a local run, its stages computed as jobs on the cluster's workers.</summary>
public sealed record DistributedRun(string Db, string Remote)
{
    public async Task<RunResult> RunAsync(ArtifactStore store, Plan plan, Fkd.Flow.Remote.IRemoteStore remote, ILogger log, IRunObserver observer, CancellationToken ct)
    {
        var db = new ClusterDb(Db);
        await db.EnsureSchemaAsync(ct);
        var storage = new Lazy<Hangfire.JobStorage>(() => ClusterStorage.Open(Db));
        log.Information("Distributed run on {Remote}: stages go to the workers of {Db}", remote.Url, Redacted(Db));
        return await new Coordinator(store, remote, db, storage, log, observer).RunAsync(plan, ct);
    }

    /// <summary>The connection string without its password, for logs.</summary>
    private static string Redacted(string conn) =>
        new Npgsql.NpgsqlConnectionStringBuilder(conn) { Password = null }.ConnectionString;
}
