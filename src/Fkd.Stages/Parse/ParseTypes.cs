using LanguageExt;
using LanguageExt.Common;

namespace Fkd.Stages.Parse;

/// <summary>How <see cref="KaggleCsvReader"/> treats bad rows.</summary>
public enum ParseMode
{
    /// <summary>Any bad row fails the whole read (the failure lists the first <see cref="ParseOptions.MaxErrors"/> problems).</summary>
    Strict,
    /// <summary>Bad rows go to <see cref="ParseResult.Errors"/>, good rows to <see cref="ParseResult.Rows"/>; nothing is dropped silently.</summary>
    Quarantine,
}

/// <param name="Mode">Strict (fail on any bad row) or Quarantine (collect bad rows as errors).</param>
/// <param name="MaxErrors">Strict mode: how many problems the failure lists (reading stops once it has that many).
/// Quarantine mode keeps every error regardless.</param>
/// <param name="ZipEntry">For a .zip: the entry to read (full name or file name). Null = the single .csv entry.</param>
/// <param name="Threads">Parser threads. 0 = one per core; 1 = read and parse on the calling thread.</param>
public sealed record ParseOptions(ParseMode Mode = ParseMode.Strict, int MaxErrors = 20, string? ZipEntry = null, int Threads = 0)
{
    public static ParseOptions Default { get; } = new();
}

/// <summary>
/// One good data row. <see cref="Line"/> is the 1-based line in the file (the header is line 1).
/// <see cref="Pixels"/>: 9,216 bytes, row-major. <see cref="Coords"/>: 30 floats in
/// <see cref="Faces.Keypoints.Columns"/> order, NaN = missing (empty field or column absent from the file).
/// </summary>
public sealed record ParsedRow(int Line, int? ImageId, byte[] Pixels, float[] Coords);

/// <summary>
/// One bad row. <see cref="Line"/> and <see cref="Column"/> are 1-based; Column is the character position in
/// the line where the bad field starts, except for a bad pixel value, where it points at the offending pixel
/// token itself (the field is still "Image"). A row gets one error: the first problem found, left to right,
/// after the field count has been checked.
/// </summary>
public sealed record RowError(string File, int Line, int Column, string Field, string Expected, string Found)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Field}: expected {Expected}, found {Found}";
}

/// <summary>The header line (line 1) is unusable: empty file, missing <c>Image</c>, unknown or duplicate columns.</summary>
public sealed record HeaderError(string File, string Problem)
    : Expected($"{File}:1: header: {Problem}", KaggleCsvReader.HeaderErrorCode, Option<Error>.None)
{
    public override string ToString() => Message;
}

/// <summary>Strict-mode failure: the bad rows found (at most <see cref="ParseOptions.MaxErrors"/>).
/// <see cref="StoppedEarly"/> = reading stopped at the limit, so the file may hold more.</summary>
public sealed record RowsRejected(string File, ImmutableArray<RowError> Errors, bool StoppedEarly)
    : Expected(Format(File, Errors, StoppedEarly), KaggleCsvReader.RowErrorCode, Option<Error>.None)
{
    public override string ToString() => Message;

    private static string Format(string file, ImmutableArray<RowError> errors, bool stoppedEarly)
    {
        var head = stoppedEarly
            ? $"{file}: bad rows (stopped after the first {errors.Length}):"
            : $"{file}: {errors.Length} bad row{(errors.Length == 1 ? "" : "s")}:";
        return head + "\n" + string.Join("\n", errors.Select(e => "  " + e));
    }
}

/// <param name="Rows">Good rows, in file order.</param>
/// <param name="Errors">Bad rows (Quarantine mode; empty in a successful Strict read), in file order.</param>
/// <param name="Columns">The header's column names, in file order.</param>
/// <param name="BytesRead">Uncompressed bytes parsed (header included).</param>
/// <param name="Elapsed">Wall time of the whole read (open, decompress, parse).</param>
public sealed record ParseResult(
    ImmutableArray<ParsedRow> Rows,
    ImmutableArray<RowError> Errors,
    ImmutableArray<string> Columns,
    long BytesRead,
    TimeSpan Elapsed);

/// <summary>One block's worth of a streaming read (<see cref="KaggleCsvReader.ReadBatches"/>), in file order.</summary>
public sealed record ParseBatch(ImmutableArray<ParsedRow> Rows, ImmutableArray<RowError> Errors);

/// <summary>
/// A Kaggle CSV the reader cannot use becomes the exception every reader throws, <see cref="InvalidDataException"/>,
/// its message saying where (file, line, column) and what was expected; the structured error (the
/// <see cref="HeaderError"/>, <see cref="RowsRejected"/> or I/O problem) travels with it for callers that want the rows.
/// </summary>
public static class CsvRejected
{
    private const string Key = "fkd.parse-error";

    public static InvalidDataException Exception(Error error)
    {
        var e = new InvalidDataException(error.Message);
        e.Data[Key] = error;
        return e;
    }

    public static Error? ErrorOf(Exception e) => e.Data[Key] as Error;
}
