using System.CommandLine;
using System.Data.Common;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Fkd.Flow.Runs;

namespace Fkd.Cli.Commands;

/// <summary>
/// <c>sql</c>: DuckDB over a run's Parquet artifacts. Every Parquet file of every stage of the run
/// is a view named <c>stage_file</c> (e.g. <c>evaluate_rmse</c>, <c>split_train</c>); any other
/// file can be read with <c>read_parquet('path')</c>.
/// </summary>
public static class SqlCommand
{
    public static Command Create()
    {
        var query = new Argument<string>("query") { Description = "SQL, e.g. \"select * from evaluate_rmse order by rmse desc\"" };
        var run = new Option<string>("--run") { Description = "run id or 'latest'", DefaultValueFactory = _ => "latest" };
        var limit = new Option<int>("--limit") { Description = "rows printed at most", DefaultValueFactory = _ => 50 };
        var json = Common.JsonOption();
        var cmd = new Command("sql", "query a run's Parquet artifacts with DuckDB") { query, run, limit, json };
        cmd.SetAction(async (pr, ct) =>
        {
            var store = Common.Store(pr);
            var r = RunRecord.Find(store, pr.GetValue(run)!) ?? throw new UsageException($"no run '{pr.GetValue(run)}' in {store.Root}");
            using var conn = new DuckDBConnection("Data Source=:memory:");
            await conn.OpenAsync(ct);
            var views = new List<string>();
            foreach (var s in r.Stages)
            {
                var dir = store.EntryPath(s.Key);
                if (!Directory.Exists(dir)) continue;
                foreach (var f in Directory.EnumerateFiles(dir, "*.parquet"))
                {
                    var view = $"{s.Name}_{Path.GetFileNameWithoutExtension(f)}".Replace('-', '_');
                    await Exec(conn, $"CREATE VIEW \"{view}\" AS SELECT * FROM read_parquet('{f.Replace("'", "''")}')", ct);
                    views.Add(view);
                }
            }
            await using var c = conn.CreateCommand();
            c.CommandText = pr.GetValue(query);
            DbDataReader reader;
            try { reader = await c.ExecuteReaderAsync(ct); }
            catch (DuckDBException e) { throw new UsageException($"{e.Message}\nviews: {string.Join(", ", views)}"); }
            await using var _ = reader;
            var cols = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            var rows = new List<object?[]>();
            var total = 0;
            while (await reader.ReadAsync(ct))
            {
                total++;
                if (rows.Count >= pr.GetValue(limit)) continue;
                var vals = new object?[cols.Length];
                for (var i = 0; i < cols.Length; i++) vals[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                rows.Add(vals);
            }
            if (pr.GetValue(json))
            {
                Common.PrintJson(new JsonObject
                {
                    ["columns"] = new JsonArray([.. cols.Select(x => (JsonNode)x)]),
                    ["rows"] = new JsonArray([.. rows.Select(v => (JsonNode)new JsonArray([.. v.Select(ToJson)]))]),
                    ["total"] = total,
                });
                return ExitCodes.Ok;
            }
            System.Console.Out.WriteLine(string.Join('\t', cols));
            foreach (var v in rows) System.Console.Out.WriteLine(string.Join('\t', v.Select(Text)));
            if (total > rows.Count) System.Console.Out.WriteLine($"… {total - rows.Count} more rows (--limit)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static async Task Exec(DuckDBConnection conn, string sql, CancellationToken ct)
    {
        await using var c = conn.CreateCommand();
        c.CommandText = sql;
        await c.ExecuteNonQueryAsync(ct);
    }

    private static string Text(object? v) => v switch
    {
        null => "NULL",
        byte[] b => $"<{b.Length} bytes>",
        double d => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static JsonNode? ToJson(object? v) => v switch
    {
        null => null,
        byte[] b => JsonValue.Create(Convert.ToBase64String(b)),
        double d => double.IsFinite(d) ? JsonValue.Create(d) : null,
        float f => float.IsFinite(f) ? JsonValue.Create(f) : null,
        long or int or short or byte or bool or decimal => JsonValue.Create(Convert.ToDecimal(v)),
        _ => JsonValue.Create(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)),
    };
}
