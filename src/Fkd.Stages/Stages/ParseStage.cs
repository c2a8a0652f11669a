using System.Collections.Immutable;
using Fkd.Flow.Stages;
using Fkd.Stages.Faces;
using Fkd.Stages.Parsing;
using Fkd.Flow.Exec;
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
        var r = await ParseToParquet.RunAsync(ctx.Input("csv").Path, ctx.Output("faces.parquet"),
            new ParseOptions(mode, ctx.Int("max_errors"), null, ctx.Int("threads")), MetadataFor(ctx), ct);
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
}

/// <summary>What a parse to Parquet did: rows written, rows rejected (quarantine mode), bytes of CSV read.</summary>
public sealed record ParseSummary(long Rows, ImmutableArray<RowError> Errors, ImmutableArray<string> Columns, long BytesRead, TimeSpan Elapsed);

/// <summary>
/// The parse stage's work, shared with <c>bench parse</c>: the parser hands blocks of rows (in file
/// order) through a bounded channel to a writer that appends them to the Parquet file as row groups,
/// so parsing and writing overlap and memory stays at a few blocks. A failed parse throws; the
/// half-written file is in the stage's private folder and is thrown away with it.
/// </summary>
public static class ParseToParquet
{
    public static async Task<ParseSummary> RunAsync(string csv, string parquet, ParseOptions options, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<ParseBatch>(new System.Threading.Channels.BoundedChannelOptions(4)
        {
            SingleReader = true, SingleWriter = true, FullMode = System.Threading.Channels.BoundedChannelFullMode.Wait,
        });
        await using var writer = await FaceTable.Writer.CreateAsync(parquet, [], metadata, ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var write = Task.Run(async () =>
        {
            long ordinal = 0, rows = 0;
            var pending = new List<FaceRow>(FaceTable.RowGroupSize);
            await foreach (var batch in channel.Reader.ReadAllAsync(cts.Token))
            {
                // Ids count every data line, good or bad, so they match the source's 0-based row numbers.
                var bad = batch.Errors.Select(e => e.Line).ToHashSet();
                var lines = batch.Rows.Select(r => r.Line).Concat(bad).Distinct().Order();
                var id = new Dictionary<int, long>();
                foreach (var l in lines) id[l] = ordinal++;
                foreach (var r in batch.Rows)
                    pending.Add(new FaceRow(r.ImageId ?? id[r.Line], r.Line, ImageHash.HexOf(r.Pixels), r.Pixels, r.Coords, FaceRow.NoTags));
                if (pending.Count >= FaceTable.RowGroupSize)
                {
                    await writer.WriteRowGroupAsync(pending, cts.Token);
                    rows += pending.Count;
                    pending = new List<FaceRow>(FaceTable.RowGroupSize);
                }
            }
            if (pending.Count > 0 || rows == 0) await writer.WriteRowGroupAsync(pending, cts.Token);
            return rows + pending.Count;
        }, cts.Token);

        // A writer that fails must stop the parser too, and its error is the one worth reporting.
        _ = write.ContinueWith(t => { if (t.IsFaulted) cts.Cancel(); }, TaskScheduler.Default);
        var errors = ImmutableArray.CreateBuilder<RowError>();
        var parsed = await Task.Run(() => KaggleCsvReader.ReadBatches(csv, options, b =>
        {
            errors.AddRange(b.Errors);
            // Blocks the parser while the writer is behind: backpressure, nothing dropped.
            if (!channel.Writer.WaitToWriteAsync(cts.Token).AsTask().GetAwaiter().GetResult() || !channel.Writer.TryWrite(b))
                throw new OperationCanceledException("the Parquet writer stopped");
        }, cts.Token), cts.Token);
        channel.Writer.TryComplete();
        if (write.IsFaulted) await write;
        var result = parsed.Match(r => r, e => { cts.Cancel(); throw new InvalidDataException(e.Message); });
        var written = await write;
        return new ParseSummary(written, errors.ToImmutable(), result.Columns, result.BytesRead, result.Elapsed);
    }
}
