using System.Collections.Immutable;
using Fkd.Flow.Stages;
using Fkd.Stages.Faces;
using Fkd.Stages.Parsing;
using Parquet;
using Parquet.Schema;

namespace Fkd.Stages.Stages;

/// <summary>
/// Kaggle CSV → face table. Strict mode fails on the first bad rows, listing them (file, line,
/// column, what was expected); quarantine mode writes good rows to faces.parquet and bad ones, with
/// their reasons, to quarantine.parquet. Nothing is dropped silently. Row ids are the 0-based data
/// row (Kaggle's pandas index) for training files and the ImageId for test files.
/// </summary>
public sealed class ParseStage : FaceStage
{
    public override string Kind => "parse-kaggle";
    public override int Version => 1;
    public override string Description => "strict, fast Kaggle CSV reader (.csv, .csv.gz, .zip) to Parquet";
    public override ImmutableArray<ParamDecl> Params =>
    [
        ParamDecl.OneOf("mode", "strict", "strict: bad rows fail the stage; quarantine: bad rows go to quarantine.parquet", "strict", "quarantine"),
        ParamDecl.Int("max_errors", 20, "strict mode: problems listed before stopping", min: 1),
        ParamDecl.Int("threads", 0, "parser threads (0 = all cores); does not change the output", min: 0),
    ];
    public override ImmutableArray<InputDecl> Inputs => [new("csv", InputShape.File, "Kaggle training.csv or test.csv (.csv, .csv.gz or .zip)")];
    public override ImmutableArray<string> Outputs => ["faces.parquet", "quarantine.parquet"];

    public override async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken ct)
    {
        var mode = ctx.Str("mode") == "strict" ? ParseMode.Strict : ParseMode.Quarantine;
        var result = KaggleCsvReader.Read(ctx.Input("csv").Path, new ParseOptions(mode, ctx.Int("max_errors"), null, ctx.Int("threads")), ct)
            .Match(r => r, e => throw new InvalidDataException(e.Message));

        // Row ids count every data line, good or bad, so they match the source's row numbers.
        var lines = result.Rows.Select(r => r.Line).Concat(result.Errors.Select(e => e.Line)).Distinct().Order().ToArray();
        var ordinal = lines.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => (long)p.i);
        var rows = result.Rows.Select(r => new FaceRow(r.ImageId ?? ordinal[r.Line], r.Line, ImageHash.HexOf(r.Pixels), r.Pixels, r.Coords, FaceRow.NoTags)).ToList();
        await WriteFaces(ctx, "faces.parquet", rows, ct);
        await WriteQuarantine(ctx.Output("quarantine.parquet"), result.Errors, MetadataFor(ctx), ct);
        foreach (var e in result.Errors.Take(20)) ctx.Log.Warning("Quarantined {Error}", e.ToString());
        var mb = result.BytesRead / 1e6;
        ctx.Log.Information("Parsed {Rows} rows ({Bad} quarantined) from {MB:F1} MB in {Seconds:F2} s",
            rows.Count, result.Errors.Length, mb, result.Elapsed.TotalSeconds);
        return StageOutcome.Of(rows.Count, ("quarantined", result.Errors.Length), ("bytes", result.BytesRead),
            ("columns", string.Join(' ', result.Columns)));
    }

    /// <summary>One row per bad source row: file, line, column, field, expected, found.</summary>
    public static async Task WriteQuarantine(string path, IReadOnlyList<RowError> errors, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        var f = new DataField<string>("file");
        var l = new DataField<int>("line");
        var c = new DataField<int>("column");
        var fi = new DataField<string>("field");
        var ex = new DataField<string>("expected");
        var fo = new DataField<string>("found");
        await using var fs = File.Create(path);
        await using var w = await ParquetWriter.CreateAsync(new ParquetSchema(f, l, c, fi, ex, fo), fs, FaceTable.WriteOptions, cancellationToken: ct);
        w.CustomMetadata = metadata.ToDictionary();
        using var rg = w.CreateRowGroup();
        await rg.WriteAsync(f, errors.Select(e => e.File).ToArray());
        await rg.WriteAsync<int>(l, (ReadOnlyMemory<int>)errors.Select(e => e.Line).ToArray(), null, null, ct);
        await rg.WriteAsync<int>(c, (ReadOnlyMemory<int>)errors.Select(e => e.Column).ToArray(), null, null, ct);
        await rg.WriteAsync(fi, errors.Select(e => e.Field).ToArray());
        await rg.WriteAsync(ex, errors.Select(e => e.Expected).ToArray());
        await rg.WriteAsync(fo, errors.Select(e => e.Found).ToArray());
    }
}
