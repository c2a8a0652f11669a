using Parquet;
using Parquet.Schema;

namespace Fkd.Stages.Parse;

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
        ParseResult result;
        try
        {
            result = await Task.Run(() => KaggleCsvReader.ReadBatches(csv, options, b =>
            {
                errors.AddRange(b.Errors);
                // Blocks the parser while the writer is behind: backpressure, nothing dropped.
                if (!channel.Writer.WaitToWriteAsync(cts.Token).AsTask().GetAwaiter().GetResult() || !channel.Writer.TryWrite(b))
                    throw new OperationCanceledException("the Parquet writer stopped");
            }, cts.Token), cts.Token);
        }
        catch (Exception) when (write.IsFaulted)
        {
            await write; // the writer's failure stopped the parser: report the writer's
            throw;
        }
        catch (Exception)
        {
            cts.Cancel(); // the parser's failure (bad rows, I/O) stops the writer; the half-written file dies with the stage's folder
            throw;
        }
        finally
        {
            channel.Writer.TryComplete();
        }
        var written = await write;
        return new ParseSummary(written, errors.ToImmutable(), result.Columns, result.BytesRead, result.Elapsed);
    }
}
