using Hangfire.PostgreSql;

namespace Fkd.Flow.Cluster;

/// <summary>Hangfire's PostgreSQL storage as the coordinator and every worker open it: one place for its settings.</summary>
public static class ClusterStorage
{
    /// <summary>The default: a job whose worker stops refreshing it (it died) is handed to another worker after this long.</summary>
    public static readonly TimeSpan DefaultInvisibility = TimeSpan.FromMinutes(2);

    public static PostgreSqlStorageOptions Options(TimeSpan? invisibility = null) => new()
    {
        SchemaName = "hangfire",
        PrepareSchemaIfNecessary = true,
        // Sliding: a live worker keeps pushing its job's timeout back, so an hour of training is never handed
        // to a second worker, while a killed worker's job is handed on after one short timeout.
        UseSlidingInvisibilityTimeout = true,
        InvisibilityTimeout = invisibility ?? DefaultInvisibility,
        // LISTEN/NOTIFY wakes an idle worker as soon as a job is enqueued; the poll is only the fallback.
        EnableLongPolling = true,
        QueuePollInterval = TimeSpan.FromSeconds(1),
        DistributedLockTimeout = TimeSpan.FromMinutes(1),
    };

    /// <summary>The storage for a coordinator (no server of its own: it only enqueues and reads job states).</summary>
    public static PostgreSqlStorage Open(string connectionString) =>
        new(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(connectionString, Options()), Options());
}
