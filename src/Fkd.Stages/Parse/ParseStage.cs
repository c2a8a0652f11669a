using Parquet;
using Parquet.Schema;

namespace Fkd.Stages.Parse;

/// <summary>
/// Kaggle CSV → face table. Strict mode fails on the first bad rows, listing them (file, line,
/// column, what was expected); quarantine mode writes good rows to faces.parquet and bad ones, with
/// their reasons, to quarantine.parquet. Nothing is dropped silently. Row ids are the 0-based data
/// row (Kaggle's pandas index) for training files and the ImageId for test files.
/// </summary>
public sealed class ParseStage() : FaceStage<ParseParams>("parse-kaggle", 1, "strict, fast Kaggle CSV reader (.csv, .csv.gz, .zip) to Parquet", Reads, Writes)
{
    protected override async Task<StageOutcome> RunAsync(StageContext ctx, ParseParams p, CancellationToken ct)
    {
        ParseSummary r;
        try
        {
            r = await ParseToParquet.RunAsync(ctx.Input("csv").Path, ctx.Output("faces.parquet"),
                new ParseOptions(p.Mode, p.MaxErrors, null, p.Threads), MetadataFor(ctx), ct);
        }
        catch (InvalidDataException e) when (p.Mode == ParseMode.Strict && CsvRejected.ErrorOf(e) is RowsRejected)
        {
            // What to do about it, said once, where the rows are listed.
            throw new InvalidDataException(e.Message + $"\n  Fix those rows, or set {ctx.StageName}.mode=quarantine to keep the good rows and list the bad ones in quarantine.parquet.", e);
        }
        await WriteQuarantine(ctx.Output("quarantine.parquet"), r.Errors, MetadataFor(ctx), ct);
        foreach (var e in r.Errors.Take(20)) ctx.Log.Warning("Quarantined {Error}", e.ToString());
        ctx.Log.Information("Parsed {Rows} rows ({Bad} quarantined) from {MB:F1} MB in {Seconds:F2} s",
            r.Rows, r.Errors.Length, r.BytesRead / 1e6, r.Elapsed.TotalSeconds);
        return StageOutcome.Of(r.Rows, ("quarantined", r.Errors.Length), ("bytes", r.BytesRead), ("columns", string.Join(' ', r.Columns)));
    }

    /// <summary>One row per bad source row: file, line, column, field, expected, found.</summary>
    public static Task WriteQuarantine(string path, IReadOnlyList<RowError> errors, IReadOnlyDictionary<string, string> metadata, CancellationToken ct) =>
        SmallTable.WriteAsync(path, metadata, ct,
            TableColumn.Of("file", [.. errors.Select(e => e.File)]),
            TableColumn.Of("line", [.. errors.Select(e => e.Line)]),
            TableColumn.Of("column", [.. errors.Select(e => e.Column)]),
            TableColumn.Of("field", [.. errors.Select(e => e.Field)]),
            TableColumn.Of("expected", [.. errors.Select(e => e.Expected)]),
            TableColumn.Of("found", [.. errors.Select(e => e.Found)]));

    private static readonly ImmutableArray<InputDecl> Reads = [new("csv", InputShape.File, "Kaggle training.csv or test.csv (.csv, .csv.gz or .zip)")];
    private static readonly ImmutableArray<string> Writes = ["faces.parquet", "quarantine.parquet"];
}
