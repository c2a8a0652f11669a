using System.Collections.Immutable;
using Npgsql;

namespace Fkd.Flow.Cluster;

/// <summary>A key's commit: who computed it, how long it took. The first commit of a key wins; there is never a second.</summary>
public sealed record KeyCommit(string Key, string Worker, string? JobId, long Rows, double Seconds, DateTimeOffset At);

/// <summary>Where a key's job stands: enqueued, running, done, failed (the stage failed: final) or requeue (an input was damaged).</summary>
public sealed record KeyJob(string Key, string? JobId, string Queue, string Pipeline, string Stage, string Status, string? Worker, string? Error, DateTimeOffset Updated);

/// <summary>
/// The cluster's own two tables, beside Hangfire's, in schema <c>fkd</c> of the same database: which keys
/// are committed (first writer wins) and which job stands for each key (so coordinators share work
/// instead of enqueuing the same key twice). Everything else (queues, retries, workers) is Hangfire's.
/// </summary>
public sealed class ClusterDb(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    // Serialises schema creation: CREATE ... IF NOT EXISTS is not safe against itself.
    private const long SchemaLock = 0x666b64_0001;

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync(ct);
        return c;
    }

    public async Task EnsureSchemaAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        // There already (every run but the first): no lock, no DDL.
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('fkd.jobs') IS NOT NULL AND to_regclass('fkd.commits') IS NOT NULL", c))
            if (await exists.ExecuteScalarAsync(ct) is true) return;
        await using var tx = await c.BeginTransactionAsync(ct);
        await Exec(c, "SELECT pg_advisory_xact_lock(@l)", ct, ("l", SchemaLock));
        await Exec(c, """
            CREATE SCHEMA IF NOT EXISTS fkd;
            CREATE TABLE IF NOT EXISTS fkd.commits (
                key text PRIMARY KEY, worker text NOT NULL, job_id text, rows bigint NOT NULL,
                seconds double precision NOT NULL, committed_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE IF NOT EXISTS fkd.jobs (
                key text PRIMARY KEY, job_id text, queue text NOT NULL, pipeline text NOT NULL, stage text NOT NULL,
                status text NOT NULL, worker text, error text, updated_at timestamptz NOT NULL DEFAULT now());
            """, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The database's clock: the one every row's time is taken from, whatever the clocks of the machines around it say.</summary>
    public async Task<DateTimeOffset> NowAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT now()", c);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return r.GetFieldValue<DateTimeOffset>(0);
    }

    /// <summary>Records a key's commit; false when another worker committed it first (its entry is the one).</summary>
    public async Task<bool> CommitAsync(string key, string worker, string? jobId, long rows, double seconds, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var n = await Exec(c, "INSERT INTO fkd.commits (key, worker, job_id, rows, seconds) VALUES (@k, @w, @j, @r, @s) ON CONFLICT (key) DO NOTHING", ct,
            ("k", key), ("w", worker), ("j", (object?)jobId ?? DBNull.Value), ("r", rows), ("s", seconds));
        return n == 1;
    }

    /// <summary>Forgets a commit whose entry turned out damaged or missing in the shared store, so the key is computed again.</summary>
    public async Task UncommitAsync(string key, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await Exec(c, "DELETE FROM fkd.commits WHERE key = @k", ct, ("k", key));
        await Exec(c, "UPDATE fkd.jobs SET status = 'requeue', error = 'its shared entry was damaged', updated_at = now() WHERE key = @k", ct, ("k", key));
    }

    public async Task<ImmutableDictionary<string, KeyCommit>> CommitsAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT key, worker, job_id, rows, seconds, committed_at FROM fkd.commits WHERE key = ANY(@k)", c);
        cmd.Parameters.AddWithValue("k", keys.ToArray());
        var b = ImmutableDictionary.CreateBuilder<string, KeyCommit>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            b[r.GetString(0)] = new KeyCommit(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetInt64(3), r.GetDouble(4), r.GetFieldValue<DateTimeOffset>(5));
        return b.ToImmutable();
    }

    public async Task<ImmutableDictionary<string, KeyJob>> JobsAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await JobsAsync(c, keys, ct);
    }

    private static async Task<ImmutableDictionary<string, KeyJob>> JobsAsync(NpgsqlConnection c, IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT key, job_id, queue, pipeline, stage, status, worker, error, updated_at FROM fkd.jobs WHERE key = ANY(@k)", c);
        cmd.Parameters.AddWithValue("k", keys.ToArray());
        var b = ImmutableDictionary.CreateBuilder<string, KeyJob>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            b[r.GetString(0)] = new KeyJob(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
                r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetFieldValue<DateTimeOffset>(8));
        return b.ToImmutable();
    }

    /// <summary>
    /// Enqueues a key's job unless a live one stands for it already (any coordinator's): decided under a
    /// lock on the key, so two coordinators never both enqueue it. <paramref name="enqueue"/> returns the
    /// Hangfire job id; <paramref name="replace"/> says whether an existing row (failed, requeue, lost)
    /// is to be replaced. Returns the row that stands for the key afterwards.
    /// </summary>
    public async Task<KeyJob> EnqueueOnceAsync(string key, string queue, string pipeline, string stage,
        Func<KeyJob, bool> replace, Func<string> enqueue, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await Exec(c, "SELECT pg_advisory_xact_lock(hashtextextended(@k, 0))", ct, ("k", key));
        var existing = (await JobsAsync(c, [key], ct)).GetValueOrDefault(key);
        // Committed meanwhile (its job finished between the caller's looks): nothing to enqueue.
        await using (var committed = new NpgsqlCommand("SELECT count(*) FROM fkd.commits WHERE key = @k", c))
        {
            committed.Parameters.AddWithValue("k", key);
            if (existing is not null && (long)(await committed.ExecuteScalarAsync(ct))! > 0) { await tx.CommitAsync(ct); return existing; }
        }
        if (existing is not null && !replace(existing)) { await tx.CommitAsync(ct); return existing; }
        var id = enqueue();
        await Exec(c, """
            INSERT INTO fkd.jobs (key, job_id, queue, pipeline, stage, status) VALUES (@k, @j, @q, @p, @s, 'enqueued')
            ON CONFLICT (key) DO UPDATE SET job_id = @j, queue = @q, pipeline = @p, stage = @s, status = 'enqueued', worker = NULL, error = NULL, updated_at = now()
            """, ct, ("k", key), ("j", id), ("q", queue), ("p", pipeline), ("s", stage));
        await tx.CommitAsync(ct);
        return new KeyJob(key, id, queue, pipeline, stage, "enqueued", null, null, DateTimeOffset.UtcNow);
    }

    /// <summary>A worker says where the job stands (running, done, failed, requeue), when it is still the job that stands for the key.</summary>
    public async Task SetStatusAsync(string key, string jobId, string status, string worker, string? error, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await Exec(c, "UPDATE fkd.jobs SET status = @st, worker = @w, error = @e, updated_at = now() WHERE key = @k AND job_id = @j", ct,
            ("st", status), ("w", worker), ("e", (object?)error ?? DBNull.Value), ("k", key), ("j", jobId));
    }

    /// <summary>
    /// Holds the right to compute a key, on a connection of its own: released when disposed or when the
    /// holder dies (its connection ends), so a killed worker never blocks the key.
    /// </summary>
    public async Task<IAsyncDisposable?> TryLockKeyAsync(string key, CancellationToken ct)
    {
        var c = await OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended(@k, 0))", c);
        cmd.Parameters.AddWithValue("k", key);
        if (await cmd.ExecuteScalarAsync(ct) is true) return new KeyLock(c);
        await c.DisposeAsync();
        return null;
    }

    private sealed class KeyLock(NpgsqlConnection c) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => c.DisposeAsync(); // session locks end with the session
    }

    private static async Task<int> Exec(NpgsqlConnection c, string sql, CancellationToken ct, params (string Name, object Value)[] ps)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v);
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
