using System.Buffers;
using System.Diagnostics;
using System.IO.Compression;
using LanguageExt;
using LanguageExt.Common;

namespace Fkd.Stages.Parse;

/// <summary>
/// Strict, streaming reader for Kaggle "Facial Keypoints Detection" CSV files (training.csv / test.csv layout):
/// <c>.csv</c>, <c>.csv.gz</c> or <c>.zip</c> (the single .csv entry, or <see cref="ParseOptions.ZipEntry"/>).
/// <para>
/// Format accepted: optional UTF-8 BOM; LF or CRLF; empty (or blank) lines skipped; missing final newline fine.
/// Columns are matched by header name: any subset of the 30 keypoint columns, <c>Image</c> (required),
/// <c>ImageId</c> (optional). Unknown, duplicate or empty column names are a <see cref="HeaderError"/>
/// (names are case-sensitive). Fields are comma-separated without quoting; spaces/tabs around a field are
/// ignored. A keypoint is a finite number in [0, 96], or empty (= missing, NaN). <c>Image</c> is exactly 9,216
/// integers 0..255 separated by one or more spaces. <c>ImageId</c> is a positive integer.
/// </para>
/// <para>
/// Error file names: the file name of <c>path</c> for .csv/.csv.gz, the entry's full name for a .zip.
/// Lines are 1-based (header = line 1); blank lines count as lines.
/// </para>
/// <para>
/// Speed: the calling thread reads (and decompresses) ~1 MiB blocks cut at line ends; up to
/// <see cref="ParseOptions.Threads"/> pool tasks parse blocks; results are merged in file order.
/// </para>
/// </summary>
public static class KaggleCsvReader
{
    public const int HeaderErrorCode = 4101;
    public const int RowErrorCode = 4102;
    public const int IoErrorCode = 4103;

    internal const int BlockSize = 1 << 20;

    /// <summary>Reads the whole file into memory: good rows in <see cref="ParseResult.Rows"/>, in file order.
    /// An unusable file throws <see cref="InvalidDataException"/> (<see cref="CsvRejected"/> keeps its <see cref="HeaderError"/>, <see cref="RowsRejected"/>
    /// or I/O problem, located by file, line and column); cancellation throws <see cref="OperationCanceledException"/>.</summary>
    public static ParseResult Read(string path, ParseOptions o, CancellationToken ct = default) =>
        Result(ReadPath(path, o, null, ct), ct);

    /// <summary>
    /// Streaming variant: hands each block's rows (about 1 MiB of text, in file order) to <paramref name="onBatch"/>
    /// on the calling thread instead of keeping them; the returned result has empty Rows (and, in Quarantine
    /// mode, every error, which the batches carry too). Strict mode: batches stop at the first bad row and the
    /// result is a failure, so rows delivered before it may need discarding.
    /// </summary>
    public static ParseResult ReadBatches(string path, ParseOptions o, Action<ParseBatch> onBatch, CancellationToken ct = default) =>
        Result(ReadPath(path, o, onBatch ?? throw new ArgumentNullException(nameof(onBatch)), ct), ct);

    /// <summary>The reader's one way out for a failure: the core works with values, callers get the result or one exception type.</summary>
    private static ParseResult Result(Fin<ParseResult> r, CancellationToken ct)
    {
        if (r.IsSucc) return (ParseResult)r;
        var e = (Error)r;
        if (e == Errors.Cancelled) throw new OperationCanceledException(ct);
        throw CsvRejected.Exception(e);
    }

    private static Fin<ParseResult> ReadPath(string path, ParseOptions o, Action<ParseBatch>? onBatch, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var fileLabel = Path.GetFileName(path);
        ZipArchive? zip = null;
        Stream? stream = null;
        try
        {
            var opened = Open(path, o, out zip);
            if (opened.IsFail) return (Error)opened;
            (stream, fileLabel) = ((Stream, string))opened;
            return ReadStream(stream, fileLabel, o, sw, onBatch, ct);
        }
        catch (OperationCanceledException)
        {
            return Fin<ParseResult>.Fail(Errors.Cancelled);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return Fin<ParseResult>.Fail(Error.New(IoErrorCode, $"{fileLabel}: {ex.Message}"));
        }
        finally
        {
            stream?.Dispose();
            zip?.Dispose();
        }
    }

    private static Fin<(Stream, string)> Open(string path, ParseOptions o, out ZipArchive? zip)
    {
        zip = null;
        var name = Path.GetFileName(path);
        if (!File.Exists(path)) return Fin<(Stream, string)>.Fail(Error.New(IoErrorCode, $"{name}: file not found ({path})"));
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            return (new GZipStream(fs, CompressionMode.Decompress), name);
        if (!path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            return (fs, name);

        zip = new ZipArchive(fs, ZipArchiveMode.Read);
        var files = zip.Entries.Where(e => e.Name.Length > 0 && !e.FullName.StartsWith("__MACOSX/", StringComparison.Ordinal)).ToList();
        ZipArchiveEntry? entry;
        if (o.ZipEntry is { } wanted)
        {
            entry = files.FirstOrDefault(e => e.FullName == wanted) ?? files.FirstOrDefault(e => e.Name == wanted);
            if (entry is null)
                return Fin<(Stream, string)>.Fail(Error.New(IoErrorCode,
                    $"{name}: no entry '{wanted}' (entries: {string.Join(", ", files.Select(e => e.FullName))})"));
        }
        else
        {
            var csvs = files.Where(e => e.Name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)).ToList();
            if (csvs.Count != 1)
                return Fin<(Stream, string)>.Fail(Error.New(IoErrorCode,
                    $"{name}: expected exactly one .csv entry, found {csvs.Count} (entries: {string.Join(", ", files.Select(e => e.FullName))}); name one with ZipEntry"));
            entry = csvs[0];
        }
        return (entry.Open(), entry.FullName);
    }

    /// <summary>Reads an already-open stream of (uncompressed) CSV text; <paramref name="fileLabel"/> names it in errors.</summary>
    public static ParseResult Read(Stream stream, string fileLabel, ParseOptions o, CancellationToken ct = default)
    {
        Fin<ParseResult> r;
        try { r = ReadStream(stream, fileLabel, o, Stopwatch.StartNew(), null, ct); }
        catch (OperationCanceledException) { r = Fin<ParseResult>.Fail(Errors.Cancelled); }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            r = Fin<ParseResult>.Fail(Error.New(IoErrorCode, $"{fileLabel}: {ex.Message}"));
        }
        return Result(r, ct);
    }

    private sealed record Block(byte[] Buffer, int Length, int FirstLine, bool Final);

    private static Fin<ParseResult> ReadStream(Stream s, string file, ParseOptions o, Stopwatch sw, Action<ParseBatch>? onBatch, CancellationToken ct)
    {
        var pool = ArrayPool<byte>.Shared;
        var buf = pool.Rent(BlockSize);
        int filled = 0;
        long bytesRead = 0;
        bool eof = false;

        // Fill until the header line is complete.
        int nl;
        while (true)
        {
            nl = buf.AsSpan(0, filled).IndexOf((byte)'\n');
            if (nl >= 0 || eof) break;
            if (filled == buf.Length) buf = Grow(pool, buf, filled);
            var n = s.Read(buf, filled, buf.Length - filled);
            if (n == 0) eof = true; else { filled += n; bytesRead += n; }
        }
        var bom = filled >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF ? 3 : 0;
        var headerEnd = nl >= 0 ? nl : filled;
        var header = LineParser.ParseHeader(buf.AsSpan(bom, headerEnd - bom), file);
        if (header.IsFail) { pool.Return(buf); return (Error)header; }
        var layout = (HeaderLayout)header;

        // Drop the header from the buffer.
        var dataStart = nl >= 0 ? nl + 1 : filled;
        Buffer.BlockCopy(buf, dataStart, buf, 0, filled - dataStart);
        filled -= dataStart;

        var threads = o.Threads <= 0 ? Environment.ProcessorCount : o.Threads;
        var strict = o.Mode == ParseMode.Strict;
        var maxErrors = Math.Max(1, o.MaxErrors);
        var rows = ImmutableArray.CreateBuilder<ParsedRow>();
        var errors = ImmutableArray.CreateBuilder<RowError>();
        var inflight = new Queue<(Task<ChunkResult> Task, byte[] Buffer)>();
        bool stopped = false, discarded = false;
        int nextLine = 2;

        void Collect(ChunkResult r)
        {
            if (onBatch is not null)
            {
                if (!strict) onBatch(new ParseBatch([.. r.Rows], [.. r.Errors]));
                else if (errors.Count == 0 && r.Errors.Count == 0) onBatch(new ParseBatch([.. r.Rows], []));
            }
            else if (!strict || errors.Count == 0) rows.AddRange(r.Rows);
            errors.AddRange(r.Errors);
            if (strict && errors.Count >= maxErrors) stopped = true;
        }

        try
        {
            while (!stopped)
            {
                ct.ThrowIfCancellationRequested();
                // Fill the buffer (or reach EOF).
                while (!eof && filled < buf.Length)
                {
                    var n = s.Read(buf, filled, buf.Length - filled);
                    if (n == 0) eof = true; else { filled += n; bytesRead += n; }
                }
                int cut;
                if (eof) cut = filled;
                else
                {
                    var last = buf.AsSpan(0, filled).LastIndexOf((byte)'\n');
                    if (last < 0) { buf = Grow(pool, buf, filled); continue; } // a line longer than the buffer
                    cut = last + 1;
                }
                if (cut == 0) break; // EOF, nothing left

                var next = pool.Rent(Math.Max(BlockSize, filled - cut));
                Buffer.BlockCopy(buf, cut, next, 0, filled - cut);
                var block = new Block(buf, cut, nextLine, eof);
                nextLine += buf.AsSpan(0, cut).Count((byte)'\n');
                buf = next;
                filled -= cut;

                if (threads == 1)
                {
                    Collect(LineParser.ParseBlock(block.Buffer.AsSpan(0, block.Length), block.FirstLine, block.Final, layout, file));
                    pool.Return(block.Buffer);
                }
                else
                {
                    inflight.Enqueue((Task.Run(() => LineParser.ParseBlock(block.Buffer.AsSpan(0, block.Length), block.FirstLine, block.Final, layout, file), ct), block.Buffer));
                    while (inflight.Count >= threads && !stopped)
                    {
                        var (t, b) = inflight.Dequeue();
                        Collect(t.GetAwaiter().GetResult());
                        if (stopped && inflight.Count > 0) discarded = true;
                        pool.Return(b);
                    }
                }
                if (eof) break;
            }
            while (inflight.Count > 0)
            {
                var (t, b) = inflight.Dequeue();
                var r = t.GetAwaiter().GetResult();
                if (!stopped) Collect(r); else discarded = true;
                pool.Return(b);
            }
        }
        finally
        {
            pool.Return(buf);
            foreach (var (t, b) in inflight) { try { t.Wait(); } catch { /* cancelled */ } pool.Return(b); }
        }

        sw.Stop();
        if (strict && errors.Count > 0)
        {
            var shown = errors.Count > maxErrors ? errors.Take(maxErrors).ToImmutableArray() : errors.ToImmutable();
            return Fin<ParseResult>.Fail(new RowsRejected(file, shown, errors.Count > maxErrors || (stopped && (!eof || discarded))));
        }
        return Fin<ParseResult>.Succ(new ParseResult(rows.ToImmutable(), errors.ToImmutable(), layout.Names, bytesRead, sw.Elapsed));
    }

    private static byte[] Grow(ArrayPool<byte> pool, byte[] buf, int filled)
    {
        var bigger = pool.Rent(buf.Length * 2);
        Buffer.BlockCopy(buf, 0, bigger, 0, filled);
        pool.Return(buf);
        return bigger;
    }
}
