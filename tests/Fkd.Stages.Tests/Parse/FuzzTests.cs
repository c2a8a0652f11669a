using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Fkd.Stages.Faces;
using Fkd.Stages.Parse;
using Xunit.Abstractions;

namespace Fkd.Stages.Tests.Parse;

/// <summary>The fuzz test uses every core and bounds the whole process's managed heap: it runs alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ParseFuzzCollection
{
    public const string Name = "parse-fuzz";
}

/// <summary>
/// Mutates small valid Kaggle CSV files (byte flips, truncations, huge fields, NULs, bad UTF-8, commas,
/// quotes, CR/LF, header changes, ...) and reads every mutated file in Strict and in Quarantine mode.
/// Each read must return or throw <see cref="InvalidDataException"/> carrying a structured error; every
/// rejection names the file, a real line and a column; the two modes must agree; no good row may be
/// malformed and no non-blank line may vanish; the two reads of an input may take no more than <see cref="Limit"/>
/// (a watchdog, so a hang fails the test instead of stalling it) nor allocate more than <see cref="AllocLimit"/>;
/// the heap the loop leaves behind (live after it, less live before it) stays under <see cref="RetainedLimit"/>.
/// <para>
/// Any exception but <see cref="InvalidDataException"/> fails the test. The one crash it found (an empty Image
/// field) is fixed and kept as <see cref="Empty_image_field_is_a_row_error_not_a_crash"/>.
/// </para>
/// <para>
/// Reproducible: input <c>i</c> is a pure function of (seed, i). Set <c>FKD_FUZZ_SEED</c> / <c>FKD_FUZZ_INPUTS</c>
/// to change the seed or the number of mutated inputs; a failure names the seed, the input, its mutations and a
/// file holding the exact bytes.
/// </para>
/// </summary>
[Collection(ParseFuzzCollection.Name)]
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 0x5EED_F022;
    private const int DefaultInputs = 57_000; // x ~1.85 mutations each
    private const int MinMutations = 100_000;
    private const string Label = "fuzz.csv";

    /// <summary>
    /// Both reads of one input must finish within 5 s plus 5 s per MiB. A ~100 KB input takes about a
    /// millisecond; the slowest kind, a 1 MiB run of commas in the header, about 2 s on a loaded 2-core machine.
    /// </summary>
    private static TimeSpan Limit(int bytes) => TimeSpan.FromSeconds(5 + 5.0 * bytes / (1 << 20));

    /// <summary>
    /// Managed heap the loop leaves behind: live after it less live before it (full GCs). The test itself keeps ~1.5 MB
    /// of base files; the reader keeps nothing between calls except the shared ArrayPool, which holds a few 1-4 MiB
    /// blocks per core. A reader that leaked even 1 KB per call would keep > 100 MB after 2 x 57,000 calls. Measured
    /// as growth because tests of other collections run in the same process meanwhile: one run here began with 382 MB
    /// already live and ended with 370 MB, over an absolute 300 MiB without the loop keeping anything.
    /// </summary>
    private const long RetainedLimit = 300L << 20;

    /// <summary>
    /// Bytes the two reads of one input may allocate (on the reading thread): 64 MB plus 1 KB per input byte.
    /// Typical inputs allocate a few hundred KB (the parsed rows and errors). The worst kind is a header with a
    /// 1 MiB run of commas: a million empty column names, each listed in the error message (~28 M characters,
    /// built several times over), about 850 MB for the two reads of a 1.07 MB input. Anything past the bound
    /// means memory that grows faster than the input.
    /// </summary>
    private static long AllocLimit(int bytes) => (64L << 20) + 1024L * bytes;

    private static readonly string[] Pixels3 = ["0", "7", "42", "99", "128", "200", "255", "13", "031", "1"];

    [Fact]
    public async Task Mutated_csv_is_rejected_cleanly_in_both_modes()
    {
        var seed = EnvInt("FKD_FUZZ_SEED") ?? DefaultSeed;
        var inputs = EnvInt("FKD_FUZZ_INPUTS") ?? DefaultInputs;
        output.WriteLine($"seed {seed} (FKD_FUZZ_SEED), {inputs:N0} mutated inputs (FKD_FUZZ_INPUTS)");

        var bases = BuildBaseFiles(seed);
        foreach (var b in bases)
        {
            // The oracle assumes the unmutated files are good: check that first.
            var strict = KaggleCsvReader.Read(new MemoryStream(b.Bytes), Label, new ParseOptions(ParseMode.Strict, Threads: 1));
            var quarantine = KaggleCsvReader.Read(new MemoryStream(b.Bytes), Label, new ParseOptions(ParseMode.Quarantine, Threads: 1));
            Assert.True(strict.Rows.Length == b.Rows && quarantine.Rows.Length == b.Rows && quarantine.Errors.IsEmpty, $"base file {b.Name} is not valid");
        }
        output.WriteLine($"{bases.Length} valid base files, {bases.Min(b => b.Bytes.Length):N0}..{bases.Max(b => b.Bytes.Length):N0} bytes, 1-3 rows of 9,216 pixels");

        var stats = new ConcurrentDictionary<string, long>();
        var workers = Math.Clamp(Environment.ProcessorCount, 1, 4);
        var current = new long[workers];      // input index + 1 being read by each worker; 0 = idle
        var since = new long[workers];        // Stopwatch timestamp when it started
        var slowest = new (long Ticks, int Index)[workers];
        var heaviest = new (long Bytes, int Index)[workers];
        string? failure = null;
        var next = -1;
        long mutations = 0;
        var before = GC.GetTotalMemory(true);
        long peak = before;
        string? worstAlloc = null;
        var worstRatio = 0.0;
        var worstLock = new object();
        var sw = Stopwatch.StartNew();

        void Fail(string f) => Interlocked.CompareExchange(ref failure, f, null);

        var tasks = Enumerable.Range(0, workers).Select(w => Task.Factory.StartNew(() =>
        {
            while (Volatile.Read(ref failure) is null)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= inputs) break;
                var input = MakeInput(seed, i, bases);
                Interlocked.Add(ref mutations, input.Mutations.Count);
                foreach (var m in input.Mutations) stats.AddOrUpdate("mutation " + m.Kind, 1, (_, n) => n + 1);
                var t0 = Stopwatch.GetTimestamp();
                Volatile.Write(ref since[w], t0);
                Volatile.Write(ref current[w], i + 1);
                var a0 = GC.GetAllocatedBytesForCurrentThread();
                string? problem;
                try { problem = Check(input, stats); }
                catch (Exception ex) { problem = $"the check itself threw: {ex}"; }
                Volatile.Write(ref current[w], 0);
                var ticks = Stopwatch.GetTimestamp() - t0;
                var allocated = GC.GetAllocatedBytesForCurrentThread() - a0;
                if (ticks > slowest[w].Ticks) slowest[w] = (ticks, i);
                if (allocated > heaviest[w].Bytes) heaviest[w] = (allocated, i);
                if (allocated > AllocLimit(input.Bytes.Length))
                    problem ??= $"the two reads allocated {allocated / 1e6:F0} MB for a {input.Bytes.Length:N0}-byte input (limit {AllocLimit(input.Bytes.Length) / 1e6:F0} MB)";
                if (input.Bytes.Length >= 100_000 && (double)allocated / input.Bytes.Length is var ratio && ratio > worstRatio)
                    lock (worstLock) if (ratio > worstRatio) { worstRatio = ratio; worstAlloc = $"{allocated / 1e6:F1} MB for #{i} {Summary(input)}"; }
                foreach (var k in input.Mutations.Select(m => m.Kind).Distinct())
                    stats.AddOrUpdate("time (ms) of inputs with " + k, ticks, (_, n) => n + ticks);
                if (problem is not null) Fail(Describe(seed, i, input, problem));
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        // Watchdog: a read that runs past the limit is a hang. Its thread cannot be stopped, but it is a
        // background thread, so the test fails with the input named and the test host still exits.
        var all = Task.WhenAll(tasks);
        while (await Task.WhenAny(all, Task.Delay(50)) != all)
        {
            peak = Math.Max(peak, GC.GetTotalMemory(false));
            for (var w = 0; w < workers; w++)
            {
                var i = Volatile.Read(ref current[w]) - 1;
                if (i < 0 || Stopwatch.GetElapsedTime(Volatile.Read(ref since[w])) < TimeSpan.FromSeconds(5)) continue;
                if (Volatile.Read(ref current[w]) - 1 != i) continue; // it finished meanwhile
                var hung = MakeInput(seed, (int)i, bases);
                var limit = Limit(hung.Bytes.Length);
                if (Stopwatch.GetElapsedTime(Volatile.Read(ref since[w])) < limit || Volatile.Read(ref current[w]) - 1 != i) continue;
                Fail(Describe(seed, (int)i, hung, $"no result after {limit.TotalSeconds:F1} s (hang)"));
            }
            if (Volatile.Read(ref failure) is not null)
            {
                await Task.WhenAny(all, Task.Delay(2000)); // the others stop at their next input; a hung one never will
                break;
            }
        }
        foreach (var t in tasks.Where(t => t.IsFaulted)) Fail($"worker failed: {t.Exception}");
        sw.Stop();
        var retained = GC.GetTotalMemory(true);

        output.WriteLine($"{Math.Min(inputs, next + 1):N0} inputs, {mutations:N0} mutations, each input read twice (Strict, Quarantine) in {sw.Elapsed.TotalSeconds:F1} s on {workers} workers");
        var slow = slowest.MaxBy(x => x.Ticks);
        var heavy = heaviest.MaxBy(x => x.Bytes);
        output.WriteLine($"slowest input: {slow.Ticks * 1000.0 / Stopwatch.Frequency:F1} ms, #{slow.Index} {Summary(MakeInput(seed, slow.Index, bases))}");
        output.WriteLine($"most allocating input: {heavy.Bytes / 1e6:F0} MB, #{heavy.Index} {Summary(MakeInput(seed, heavy.Index, bases))}");
        output.WriteLine($"most allocated per input byte (inputs of 100 KB or more): {worstRatio:F0} bytes/byte, {worstAlloc}");
        output.WriteLine($"managed heap: {before / 1e6:F0} MB before, {peak / 1e6:F0} MB peak sampled (garbage included; not asserted), {retained / 1e6:F0} MB live after (growth limit {RetainedLimit >> 20} MiB)");
        foreach (var (k, v) in stats.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            output.WriteLine(k.StartsWith("time", StringComparison.Ordinal) ? $"  {k}: {v * 1000.0 / Stopwatch.Frequency:N0}" : $"  {k}: {v:N0}");

        Assert.True(failure is null, failure);
        Assert.True(mutations >= MinMutations, $"only {mutations:N0} mutations ran (want {MinMutations:N0})");
        Assert.True(retained - before < RetainedLimit, $"{(retained - before) / 1e6:F0} MB more managed heap live after the loop than before it (limit {RetainedLimit >> 20} MiB)");
        Assert.True(stats.GetValueOrDefault("strict header error") > 0 && stats.GetValueOrDefault("strict rows rejected") > 0
            && stats.GetValueOrDefault("strict ok") > 0, "the mutations should produce header errors, row errors and survivors");
    }

    // ---------------------------------------------------------------- checking one input

    /// <summary>Reads the input in both modes; null when every property holds, else what broke.</summary>
    private static string? Check(Input input, ConcurrentDictionary<string, long> stats)
    {
        var data = input.Bytes;
        var (dataLines, totalLines) = CountLines(data);
        var strictO = new ParseOptions(ParseMode.Strict, input.MaxErrors, Threads: input.Threads);
        var quarO = new ParseOptions(ParseMode.Quarantine, input.MaxErrors, Threads: input.Threads);

        void Count(string k) => stats.AddOrUpdate(k, 1, (_, n) => n + 1);

        var (sOk, sEx) = Read(input, strictO, out var sCrash);
        var (qOk, qEx) = Read(input, quarO, out var qCrash);
        if (sCrash is not null || qCrash is not null)
        {
            var (mode, crash) = sCrash is not null ? ("Strict", sCrash) : ("Quarantine", qCrash!);
            return $"{mode} read threw {crash.GetType().Name} (only InvalidDataException is allowed): {crash}";
        }

        // Strict.
        RowsRejected? rejected = null;
        HeaderError? sHeader = null;
        if (sEx is not null)
        {
            var err = CsvRejected.ErrorOf(sEx);
            switch (err)
            {
                case HeaderError h:
                    if (h.File != Label) return $"Strict header error names file '{h.File}', not '{Label}'";
                    if (!sEx.Message.StartsWith($"{Label}:1:", StringComparison.Ordinal)) return $"Strict header error message does not start with '{Label}:1:': {Cut(sEx.Message)}";
                    sHeader = h;
                    Count("strict header error");
                    break;
                case RowsRejected r:
                    if (r.File != Label) return $"RowsRejected names file '{r.File}'";
                    if (r.Errors.IsDefaultOrEmpty) return "RowsRejected without any row error";
                    if (r.Errors.Length > Math.Max(1, input.MaxErrors)) return $"RowsRejected lists {r.Errors.Length} errors, MaxErrors is {input.MaxErrors}";
                    foreach (var e in r.Errors)
                    {
                        if (BadRowError(e, totalLines) is { } why) return "Strict: " + why;
                        if (!sEx.Message.Contains($"{Label}:{e.Line}:{e.Column}: ", StringComparison.Ordinal)) return $"Strict message does not name '{Label}:{e.Line}:{e.Column}:': {Cut(sEx.Message)}";
                    }
                    rejected = r;
                    Count("strict rows rejected");
                    break;
                case null:
                    return $"InvalidDataException without a structured error: {sEx.Message}";
                default:
                    return $"unexpected error kind {err.GetType().Name} (code {err.Code}): {Cut(err.Message)}";
            }
        }
        else
        {
            if (!sOk!.Errors.IsEmpty) return "Strict success carries errors";
            Count("strict ok");
        }

        // Quarantine.
        if (qEx is not null)
        {
            if (CsvRejected.ErrorOf(qEx) is not HeaderError qh)
                return $"Quarantine threw for something other than the header: {Cut(qEx.Message)}";
            if (sHeader is null) return $"Quarantine rejected the header but Strict did not: {Cut(qEx.Message)}";
            if (qh.Message != sHeader.Message) return "Strict and Quarantine disagree about the header error";
            Count("quarantine header error");
            return null;
        }
        if (sHeader is not null) return "Strict rejected the header but Quarantine did not";
        var q = qOk!;
        if (q.Rows.Length + q.Errors.Length != dataLines)
            return $"Quarantine: {q.Rows.Length} rows + {q.Errors.Length} errors, but the file has {dataLines} non-blank data lines (a line vanished or was counted twice)";
        var lastLine = 1;
        foreach (var (line, row, err) in q.Rows.Select(r => (r.Line, (ParsedRow?)r, (RowError?)null))
                     .Concat(q.Errors.Select(e => (e.Line, (ParsedRow?)null, (RowError?)e))).OrderBy(t => t.Item1))
        {
            if (line <= lastLine) return $"Quarantine: line {line} reported twice or before the header";
            lastLine = line;
            if (err is not null)
            {
                if (BadRowError(err, totalLines) is { } why) return "Quarantine: " + why;
                Count("row error: " + Shape(err.Expected));
            }
            else if (BadRow(row!) is { } why) return $"Quarantine: good row at line {line} is malformed: {why}";
        }
        if (q.Errors.IsEmpty)
        {
            if (rejected is not null) return "Strict rejected rows that Quarantine accepted";
            if (sOk!.Rows.Length != q.Rows.Length) return "Strict and Quarantine kept different rows";
            Count("quarantine clean");
        }
        else
        {
            if (rejected is null) return $"Quarantine found {q.Errors.Length} bad rows that Strict accepted: {q.Errors[0]}";
            var want = q.Errors.Take(rejected.Errors.Length).ToArray();
            if (!want.SequenceEqual(rejected.Errors)) return $"Strict lists {rejected.Errors[0]}, Quarantine's first is {q.Errors[0]}";
            Count("quarantine with row errors");
        }
        return null;
    }

    /// <summary>
    /// Found by the fuzz loop (seed 1592651810, input 317): a row whose Image field is empty - zero bytes, as in
    /// <c>"ImageId,Image\n1,\n"</c> or <c>"Image,ImageId\n,1\n"</c> - makes the reader throw NullReferenceException in both
    /// modes instead of reporting the row. <c>LineParser.ParsePixels</c> pins the empty span, gets a null pointer,
    /// and <c>end - 4</c> wraps below zero, so the SWAR loop's <c>p &lt;= end4</c> holds and it reads address 0.
    /// (A field of one space is fine: "expected 9216 pixels, found 0".)
    /// </summary>
    [Fact]
    public void Empty_image_field_is_a_row_error_not_a_crash()
    {
        foreach (var text in new[] { "ImageId,Image\n1,\n", "Image,ImageId\n,1\n" })
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            var col = text.StartsWith("Image,", StringComparison.Ordinal) ? 1 : 3;
            var q = KaggleCsvReader.Read(new MemoryStream(bytes), Label, new ParseOptions(ParseMode.Quarantine, Threads: 1));
            Assert.Equal([new RowError(Label, 2, col, "Image", "9216 pixels", "0")], q.Errors.ToArray());
            var e = Assert.Throws<InvalidDataException>(() => KaggleCsvReader.Read(new MemoryStream(bytes), Label, new ParseOptions(ParseMode.Strict, Threads: 1)));
            Assert.Contains($"{Label}:2:{col}: Image: expected 9216 pixels, found 0", e.Message);
        }
    }

    [Theory]
    [InlineData("12.5\0")]
    [InlineData("12.5\0\0\0")]
    [InlineData("\012.5")]
    [InlineData("1\02.5")]
    public void A_keypoint_holding_a_nul_is_rejected(string value)
    {
        // .NET's number parser would read "12.5\0" as 12.5; the reader may not.
        var pixels = string.Join(' ', Enumerable.Repeat("7", 9216));
        var bytes = Encoding.ASCII.GetBytes($"nose_tip_x,Image\n{value},{pixels}\n");
        var q = KaggleCsvReader.Read(new MemoryStream(bytes), Label, new ParseOptions(ParseMode.Quarantine, Threads: 1));
        var e = Assert.Single(q.Errors);
        Assert.Equal((2, 1, "nose_tip_x", "number"), (e.Line, e.Column, e.Field, e.Expected));
        Assert.Empty(q.Rows);
    }

    private static (ParseResult? Ok, InvalidDataException? Rejected) Read(Input input, ParseOptions o, out Exception? crash)
    {
        crash = null;
        Stream s = input.Chunk > 0 ? new ChunkedStream(input.Bytes, input.Chunk) : new MemoryStream(input.Bytes, writable: false);
        try { return (KaggleCsvReader.Read(s, Label, o), null); }
        catch (InvalidDataException e) { return (null, e); }
        catch (Exception e) { crash = e; return (null, null); }
    }

    private static string? BadRowError(RowError e, int totalLines)
    {
        if (e.File != Label) return $"error names file '{e.File}': {e}";
        if (e.Line < 2 || e.Line > totalLines) return $"error line {e.Line} is not a data line (file has {totalLines} lines): {e}";
        if (e.Column < 1) return $"error column {e.Column} < 1: {e}";
        if (string.IsNullOrEmpty(e.Field) || string.IsNullOrEmpty(e.Expected) || e.Found is null) return $"error does not say what is wrong: {e}";
        return null;
    }

    private static string? BadRow(ParsedRow r)
    {
        if (r.Pixels.Length != Keypoints.PixelCount) return $"{r.Pixels.Length} pixels";
        if (r.Coords.Length != Keypoints.CoordCount) return $"{r.Coords.Length} coordinates";
        foreach (var c in r.Coords)
            if (!float.IsNaN(c) && (c < 0 || c > Keypoints.ImageSide)) return $"coordinate {c}";
        if (r.ImageId is <= 0) return $"ImageId {r.ImageId}";
        return null;
    }

    /// <summary>Error kinds for the counts: numbers folded ("31 fields" -> "N fields").</summary>
    private static string Shape(string expected) =>
        string.Concat(expected.Select(c => char.IsAsciiDigit(c) ? 'N' : c)).Replace("NN", "N").Replace("NN", "N").Replace("NN", "N");

    /// <summary>Non-blank data lines (after the header) and all lines, split the way the reader splits them.</summary>
    private static (int DataLines, int TotalLines) CountLines(byte[] data)
    {
        var span = data.AsSpan();
        var nl = span.IndexOf((byte)'\n');
        if (nl < 0) return (0, 1);
        int dataLines = 0, total = 1, pos = nl + 1;
        while (pos < span.Length)
        {
            var rest = span[pos..];
            var end = rest.IndexOf((byte)'\n');
            var line = end >= 0 ? rest[..end] : rest;
            total++;
            if (line.IndexOfAnyExcept((byte)' ', (byte)'\t', (byte)'\r') >= 0) dataLines++;
            pos += line.Length + 1;
        }
        return (dataLines, total);
    }

    private static string Cut(string s) => s.Length <= 300 ? s : s[..300] + $"... ({s.Length:N0} chars)";

    private static string Describe(int seed, int index, Input input, string problem)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fkd-fuzz-seed{seed}-input{index}.csv");
        try { File.WriteAllBytes(path, input.Bytes); } catch (IOException) { path = "(could not save)"; }
        return $"seed {seed}, input {index} (base {input.Base}, {input.Bytes.Length:N0} bytes, Threads={input.Threads}, MaxErrors={input.MaxErrors}, "
               + $"read chunk {(input.Chunk > 0 ? input.Chunk.ToString(CultureInfo.InvariantCulture) : "whole")}), "
               + $"mutations [{string.Join("; ", input.Mutations)}], bytes saved to {path}:\n{problem}";
    }

    private static string Summary(Input input) =>
        $"({input.Bytes.Length:N0} bytes, base {input.Base}, Threads={input.Threads}): [{string.Join("; ", input.Mutations)}]";

    private static int? EnvInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    // ---------------------------------------------------------------- inputs

    private sealed record BaseFile(string Name, byte[] Bytes, int Rows);

    private sealed record Mutation(string Kind, string Detail)
    {
        public override string ToString() => $"{Kind} {Detail}";
    }

    private sealed record Input(string Base, byte[] Bytes, List<Mutation> Mutations, int Threads, int MaxErrors, int Chunk);

    /// <summary>Small valid files: three header layouts, 1-3 rows, LF or CRLF, with or without BOM, blank lines, final newline.</summary>
    private static BaseFile[] BuildBaseFiles(int seed)
    {
        var rng = new Random(seed);
        string[][] layouts =
        [
            [.. Keypoints.Columns, "Image"],                                   // training.csv
            ["ImageId", "Image"],                                              // test.csv
            ["Image", "nose_tip_y", "left_eye_center_x", "nose_tip_x", "ImageId"], // any subset, any order
        ];
        var files = new List<BaseFile>();
        for (var f = 0; f < 18; f++)
        {
            var cols = layouts[f % layouts.Length];
            var rows = 1 + f / layouts.Length % 3;
            var crlf = rng.Next(3) == 0;
            var nl = crlf ? "\r\n" : "\n";
            var sb = new StringBuilder();
            if (rng.Next(6) == 0) sb.Append('\uFEFF');
            sb.Append(string.Join(',', cols)).Append(nl);
            for (var r = 0; r < rows; r++)
            {
                if (rng.Next(8) == 0) sb.Append(nl);                           // a blank line
                sb.Append(string.Join(',', cols.Select(c => Field(c, rng))));
                if (r < rows - 1 || rng.Next(5) != 0) sb.Append(nl);          // the last newline is optional
            }
            var bytes = Encoding.UTF8.GetBytes(sb.ToString());
            files.Add(new BaseFile($"#{f} ({cols.Length} columns, {rows} rows{(crlf ? ", CRLF" : "")})", bytes, rows));
        }
        return [.. files];
    }

    private static string Field(string column, Random rng)
    {
        switch (column)
        {
            case "Image":
            {
                var sb = new StringBuilder(40_000);
                var style = rng.Next(3);
                if (style == 2) sb.Append(' ', rng.Next(1, 3));
                for (var i = 0; i < Keypoints.PixelCount; i++)
                {
                    if (i > 0) sb.Append(style == 1 && rng.Next(50) == 0 ? "  " : " ");
                    sb.Append(style switch
                    {
                        0 => rng.Next(256).ToString(CultureInfo.InvariantCulture),          // Kaggle-like
                        1 => Pixels3[rng.Next(Pixels3.Length)],                             // short tokens, some leading zeros
                        _ => rng.Next(10).ToString(CultureInfo.InvariantCulture),           // one digit each
                    });
                }
                if (style == 2) sb.Append(' ');
                return sb.ToString();
            }
            case "ImageId":
                return rng.Next(1, 100_000).ToString(CultureInfo.InvariantCulture);
            default:
                return rng.Next(6) switch
                {
                    0 => "",
                    1 => rng.Next(97).ToString(CultureInfo.InvariantCulture),
                    2 => " " + (rng.NextDouble() * 96).ToString("F3", CultureInfo.InvariantCulture),
                    _ => (rng.NextDouble() * 96).ToString("0.##########", CultureInfo.InvariantCulture),
                };
        }
    }

    private enum Kind
    {
        FlipBits, SetByte, Truncate, HugeDigits, HugeSpaces, HugeCommas, HugeJunk, Nul, BadUtf8, Comma, Quote,
        LineBreak, Header, DeleteRange, DuplicateRange, NumberJunk, Bom,
    }

    private static readonly (Kind Kind, int Weight)[] Weights =
    [
        (Kind.FlipBits, 14), (Kind.SetByte, 8), (Kind.Truncate, 8), (Kind.HugeDigits, 1), (Kind.HugeSpaces, 1),
        (Kind.HugeCommas, 1), (Kind.HugeJunk, 1), (Kind.Nul, 8), (Kind.BadUtf8, 8), (Kind.Comma, 10), (Kind.Quote, 4),
        (Kind.LineBreak, 10), (Kind.Header, 9), (Kind.DeleteRange, 4), (Kind.DuplicateRange, 4), (Kind.NumberJunk, 8),
        (Kind.Bom, 1),
    ];

    private static readonly int TotalWeight = Weights.Sum(w => w.Weight);

    private static readonly byte[][] BadUtf8 =
    [
        [0xC3, 0x28], [0xFF], [0xFE], [0x80], [0xBF], [0x80, 0x80, 0x80], [0xC0, 0xAF], [0xE0, 0x80, 0xAF],
        [0xED, 0xA0, 0x80], [0xF0, 0x9F], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xC3], [0xEF, 0xBB, 0xBF],
    ];

    private static readonly string[] NumberJunk = ["-", ".", "e", "E", "+", "x", "NaN", "Infinity", "-1", "1e400", "0x1F", "1,5", "\t", "∞", "١"];

    private static readonly string[] HeaderNames =
        ["Image", "image", "ImageId", "IMAGE", "", " ", "left_eye_center_x", "nose_tip_x", "foo", "Image\0", "Imag\u00E9", "\"Image\"", "mouth_center_bottom_lip_y"];

    /// <summary>Input <paramref name="index"/>: one base file with 1-3 mutations, chosen by (seed, index) alone.</summary>
    private static Input MakeInput(int seed, int index, BaseFile[] bases)
    {
        var rng = new Random(unchecked((int)Mix((uint)seed, (uint)index)));
        var b = bases[rng.Next(bases.Length)];
        var buf = new List<byte>(b.Bytes.Length + 64);
        buf.AddRange(b.Bytes);
        var count = rng.Next(20) switch { < 8 => 1, < 15 => 2, _ => 3 };
        var done = new List<Mutation>(count);
        for (var m = 0; m < count; m++) done.Add(Mutate(buf, rng));
        var bytes = buf.ToArray();
        // Big inputs span several 1 MiB blocks: let some use the parallel path. Some reads come in small chunks.
        var threads = bytes.Length > KaggleCsvReaderBlock && rng.Next(2) == 0 ? 2 : 1;
        var maxErrors = rng.Next(4) == 0 ? 1 : 20;
        var chunk = rng.Next(16) == 0 ? rng.Next(1, 5000) : 0;
        return new Input(b.Name, bytes, done, threads, maxErrors, chunk);
    }

    private const int KaggleCsvReaderBlock = 1 << 20;

    private static uint Mix(uint a, uint b)
    {
        var h = a * 0x9E3779B1u ^ (b + 0x7F4A7C15u) * 0x85EBCA77u;
        h ^= h >> 15; h *= 0x2C1B3C6Du; h ^= h >> 12; h *= 0x297A2D39u; h ^= h >> 15;
        return h;
    }

    private static Mutation Mutate(List<byte> buf, Random rng)
    {
        var pick = rng.Next(TotalWeight);
        var kind = Weights[0].Kind;
        foreach (var (k, w) in Weights)
        {
            if (pick < w) { kind = k; break; }
            pick -= w;
        }
        var name = kind.ToString();
        switch (kind)
        {
            case Kind.FlipBits:
            {
                var n = rng.Next(1, 9);
                var at = new List<string>();
                for (var i = 0; i < n && buf.Count > 0; i++)
                {
                    var p = Pos(buf, rng, end: false);
                    var bit = (byte)(1 << rng.Next(8));
                    buf[p] ^= bit;
                    at.Add($"{p}^0x{bit:X2}");
                }
                return new(name, string.Join(",", at));
            }
            case Kind.SetByte:
            {
                if (buf.Count == 0) return new(name, "(empty)");
                var p = Pos(buf, rng, end: false);
                var v = (byte)rng.Next(256);
                buf[p] = v;
                return new(name, $"{p}=0x{v:X2}");
            }
            case Kind.Truncate:
            {
                var p = rng.Next(4) == 0 ? Pos(buf, rng, end: true) : rng.Next(buf.Count + 1);
                buf.RemoveRange(p, buf.Count - p);
                return new(name, $"at {p}");
            }
            case Kind.HugeDigits:
            {
                var n = rng.Next(2) == 0 ? 100_000 : rng.Next(1_000, 300_000);
                var digits = new byte[n];
                for (var i = 0; i < n; i++) digits[i] = (byte)('0' + rng.Next(10));
                var p = Pos(buf, rng, end: true);
                buf.InsertRange(p, digits);
                return new(name, $"{n:N0} digits at {p}");
            }
            case Kind.HugeSpaces:
            {
                var n = rng.Next(2) == 0 ? 1 << 20 : rng.Next(1_000, 1 << 20);
                var p = Pos(buf, rng, end: true);
                buf.InsertRange(p, Enumerable.Repeat((byte)(rng.Next(4) == 0 ? '\t' : ' '), n));
                return new(name, $"{n:N0} at {p}");
            }
            case Kind.HugeCommas:
            {
                var n = rng.Next(8) == 0 ? 1 << 20 : rng.Next(100, 100_000);
                var p = Pos(buf, rng, end: true);
                var fill = rng.Next(3) == 0 ? ",1" : ",";
                var bytes = new byte[n];
                for (var i = 0; i < n; i++) bytes[i] = (byte)fill[i % fill.Length];
                buf.InsertRange(p, bytes);
                return new(name, $"{n:N0} of '{fill}' at {p}");
            }
            case Kind.HugeJunk:
            {
                var n = rng.Next(1_000, 200_000);
                var junk = new byte[n];
                rng.NextBytes(junk);
                var p = Pos(buf, rng, end: true);
                buf.InsertRange(p, junk);
                return new(name, $"{n:N0} random bytes at {p}");
            }
            case Kind.Nul:
            {
                var n = rng.Next(1, 17);
                var p = Pos(buf, rng, end: true);
                if (rng.Next(2) == 0 || p + n > buf.Count)
                {
                    buf.InsertRange(p, new byte[n]);
                    return new(name, $"insert {n} at {p}");
                }
                for (var i = 0; i < n; i++) buf[p + i] = 0;
                return new(name, $"overwrite {n} at {p}");
            }
            case Kind.BadUtf8:
            {
                var seq = BadUtf8[rng.Next(BadUtf8.Length)];
                var p = Pos(buf, rng, end: true);
                buf.InsertRange(p, seq);
                return new(name, $"{Convert.ToHexString(seq)} at {p}");
            }
            case Kind.Comma:
            {
                var p = Find(buf, rng, (byte)',');
                if (p < 0 || rng.Next(3) == 0) { p = Pos(buf, rng, end: true); buf.Insert(p, (byte)','); return new(name, $"insert at {p}"); }
                if (rng.Next(2) == 0) { buf.RemoveAt(p); return new(name, $"delete at {p}"); }
                buf.Insert(p, (byte)','); return new(name, $"duplicate at {p}");
            }
            case Kind.Quote:
            {
                var p = Pos(buf, rng, end: true);
                var q = rng.Next(3) == 0 ? "\"\"" : rng.Next(2) == 0 ? "\"" : "'";
                buf.InsertRange(p, Encoding.ASCII.GetBytes(q));
                return new(name, $"{q} at {p}");
            }
            case Kind.LineBreak:
            {
                var target = rng.Next(2) == 0 ? (byte)'\n' : (byte)'\r';
                var p = Find(buf, rng, target);
                var op = rng.Next(3);
                if (p >= 0 && op == 0) { buf.RemoveAt(p); return new(name, $"delete 0x{target:X2} at {p}"); }
                if (p >= 0 && op == 1) { buf.Insert(p, target); return new(name, $"duplicate 0x{target:X2} at {p}"); }
                p = Pos(buf, rng, end: true);
                var ins = rng.Next(3) switch { 0 => "\n", 1 => "\r", _ => "\r\n" };
                buf.InsertRange(p, Encoding.ASCII.GetBytes(ins));
                return new(name, $"insert {Convert.ToHexString(Encoding.ASCII.GetBytes(ins))} at {p}");
            }
            case Kind.Header:
                return new(name, MutateHeader(buf, rng));
            case Kind.DeleteRange:
            {
                if (buf.Count == 0) return new(name, "(empty)");
                var p = Pos(buf, rng, end: false);
                var n = Math.Min(buf.Count - p, rng.Next(2) == 0 ? rng.Next(1, 10) : rng.Next(1, 40_000));
                buf.RemoveRange(p, n);
                return new(name, $"{n} at {p}");
            }
            case Kind.DuplicateRange:
            {
                if (buf.Count == 0) return new(name, "(empty)");
                var p = Pos(buf, rng, end: false);
                var n = Math.Min(buf.Count - p, rng.Next(2) == 0 ? rng.Next(1, 10) : rng.Next(1, 40_000));
                var at = rng.Next(buf.Count + 1);
                buf.InsertRange(at, buf.GetRange(p, n));
                return new(name, $"{n} from {p} to {at}");
            }
            case Kind.NumberJunk:
            {
                var s = NumberJunk[rng.Next(NumberJunk.Length)];
                var p = Pos(buf, rng, end: true);
                buf.InsertRange(p, Encoding.UTF8.GetBytes(s));
                return new(name, $"'{s}' at {p}");
            }
            case Kind.Bom:
            {
                var p = rng.Next(2) == 0 ? 0 : Pos(buf, rng, end: true);
                buf.InsertRange(p, [0xEF, 0xBB, 0xBF]);
                return new(name, $"at {p}");
            }
            default:
                throw new InvalidOperationException(kind.ToString());
        }
    }

    /// <summary>Rewrites the header line: a name replaced, dropped or added, two swapped, the line dropped or preceded by a blank one.</summary>
    private static string MutateHeader(List<byte> buf, Random rng)
    {
        var nl = buf.IndexOf((byte)'\n');
        var end = nl < 0 ? buf.Count : nl;
        var cr = end > 0 && buf[end - 1] == (byte)'\r';
        var lineEnd = cr ? end - 1 : end;
        var names = Encoding.UTF8.GetString(buf.GetRange(0, lineEnd).ToArray()).Split(',').ToList();
        string what;
        switch (rng.Next(7))
        {
            case 0:
            {
                var i = rng.Next(names.Count);
                var n = HeaderNames[rng.Next(HeaderNames.Length)];
                what = $"column {i + 1} '{names[i]}' -> '{n}'";
                names[i] = n;
                break;
            }
            case 1:
            {
                var i = rng.Next(names.Count);
                what = $"drop column {i + 1} '{names[i]}'";
                names.RemoveAt(i);
                break;
            }
            case 2:
            {
                var n = HeaderNames[rng.Next(HeaderNames.Length)];
                var i = rng.Next(names.Count + 1);
                what = $"add '{n}' at {i + 1}";
                names.Insert(i, n);
                break;
            }
            case 3:
            {
                int i = rng.Next(names.Count), j = rng.Next(names.Count);
                what = $"swap columns {i + 1} and {j + 1}";
                (names[i], names[j]) = (names[j], names[i]);
                break;
            }
            case 4:
                buf.RemoveRange(0, Math.Min(buf.Count, end + 1));
                return "drop the header line";
            case 5:
                buf.InsertRange(0, rng.Next(2) == 0 ? "\n"u8.ToArray() : " \t\r\n"u8.ToArray());
                return "blank line before the header";
            default:
            {
                var i = rng.Next(names.Count);
                what = $"column {i + 1} '{names[i]}' padded / cased";
                names[i] = rng.Next(2) == 0 ? " " + names[i] + "\t" : names[i].ToUpperInvariant();
                break;
            }
        }
        buf.RemoveRange(0, lineEnd);
        buf.InsertRange(0, Encoding.UTF8.GetBytes(string.Join(',', names)));
        return what;
    }

    /// <summary>A position that tends to hit the interesting parts: the header, the start of a row (keypoints), a field edge, the end.</summary>
    private static int Pos(List<byte> buf, Random rng, bool end)
    {
        var n = buf.Count;
        if (n == 0) return 0;
        var limit = end ? n + 1 : n;
        switch (rng.Next(10))
        {
            case 0: case 1: return Math.Min(rng.Next(Math.Min(limit, 700)), limit - 1);   // header and first keypoints
            case 2: case 3:                                                                    // just after a line break
            {
                var nl = Find(buf, rng, (byte)'\n');
                return nl < 0 ? rng.Next(limit) : Math.Min(nl + 1 + rng.Next(200), limit - 1);
            }
            case 4: case 5:                                                                    // at a field edge
            {
                var c = Find(buf, rng, rng.Next(3) == 0 ? (byte)' ' : (byte)',');
                return c < 0 ? rng.Next(limit) : Math.Min(c + rng.Next(2), limit - 1);
            }
            case 6: return Math.Max(0, limit - 1 - rng.Next(Math.Min(limit, 50)));            // near the end
            default: return rng.Next(limit);
        }
    }

    /// <summary>An occurrence of <paramref name="b"/> at or after a random position (wrapping), or -1.</summary>
    private static int Find(List<byte> buf, Random rng, byte b)
    {
        if (buf.Count == 0) return -1;
        var start = rng.Next(buf.Count);
        var i = buf.IndexOf(b, start);
        return i >= 0 ? i : buf.IndexOf(b, 0, start);
    }

    /// <summary>Hands out at most <c>chunk</c> bytes per Read: the reader must not assume a full buffer.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : Stream
    {
        private int _pos;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), data.Length - _pos);
            Buffer.BlockCopy(data, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
