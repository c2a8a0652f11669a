using System.CommandLine;
using System.Text.Json.Nodes;
using Parquet;

namespace Fkd.Cli.Commands;

/// <summary><c>inspect</c>: an entry's manifest (key material, files, rows) and, for each Parquet file, its schema and metadata.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var what = new Argument<string>("entry") { Description = "key prefix, stage name (latest run) or run:stage" };
        var json = Common.JsonOption();
        var cmd = new Command("inspect", "show an entry's manifest and the schema of its Parquet files") { what, json };
        cmd.SetAction(async (pr, ct) =>
        {
            var store = Common.Store(pr);
            var m = EntryResolver.Resolve(store, pr.GetValue(what)!);
            var dir = store.EntryPath(m.Key);
            if (pr.GetValue(json))
            {
                var node = JsonNode.Parse(m.ToJson())!.AsObject();
                node["path"] = dir;
                Common.PrintJson(node);
                return ExitCodes.Ok;
            }
            System.Console.Out.WriteLine($"entry   {m.Key}");
            System.Console.Out.WriteLine($"path    {dir}");
            System.Console.Out.WriteLine($"stage   {m.Stage} ({m.Material.Kind} v{m.Material.Version}), {m.Rows:N0} rows, {m.Seconds:F2} s, {m.Created.LocalDateTime:yyyy-MM-dd HH:mm:ss}");
            System.Console.Out.WriteLine($"params  {m.Material.Params}");
            foreach (var (k, v) in m.Material.Inputs) System.Console.Out.WriteLine($"input   {k} = {v}");
            if (m.Material.Facts.Length > 0) System.Console.Out.WriteLine($"facts   {m.Material.Facts}");
            foreach (var (k, v) in m.Facts) System.Console.Out.WriteLine($"outcome {k} = {v}");
            foreach (var f in m.Files)
            {
                System.Console.Out.WriteLine($"file    {f.Name}  {Common.Human(f.Bytes)}{(f.Rows is { } r ? $", {r:N0} rows" : "")}  xxh128 {f.Xxh128[..16]}…");
                if (!f.Name.EndsWith(".parquet")) continue;
                await using var reader = await ParquetReader.CreateAsync(Path.Combine(dir, f.Name), cancellationToken: ct);
                System.Console.Out.WriteLine("        columns: " + string.Join(", ", reader.Schema.GetDataFields().Select(d => $"{d.Name}:{d.ClrType.Name}{(d.IsNullable ? "?" : "")}")));
                foreach (var (k, v) in reader.CustomMetadata.Where(kv => kv.Key != "fkd.params"))
                    System.Console.Out.WriteLine($"        {k} = {v}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
