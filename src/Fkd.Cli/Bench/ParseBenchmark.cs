using Fkd.Stages.Source;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Fkd.Stages.Parse;

namespace Fkd.Cli.Bench;

/// <summary>
/// `bench parse`: the parse stage's work on a Kaggle-size file (7,049 rows, ~240 MB): KaggleCsvReader.Read
/// (strict: every field validated) then FaceTable.WriteAsync to Parquet, end to end, in GB/s of CSV.
/// Peer: pandas read_csv + the Image column turned into uint8 arrays (what Kaggle kernels do), no validation
/// and no Parquet written.
/// </summary>
public static class ParseBenchmark
{
    public static async Task<BenchReport> RunAsync(BenchSettings s, IPeerRunner peer, CancellationToken ct)
    {
        var repeats = s.RepeatsOr(3, 1);
        var cache = BuildInfo.CacheDir();
        var sw = Stopwatch.StartNew();
        var existed = File.Exists(Path.Combine(cache, ParseBench.KaggleSizeFileName));
        var path = ParseBench.EnsureKaggleSizeFile(cache);
        var generateSeconds = existed ? 0 : sw.Elapsed.TotalSeconds;
        var bytes = new FileInfo(path).Length;
        var outDir = Directory.CreateTempSubdirectory("fkd-bench-parse-");
        try
        {
            if (!s.Quick) await Once(path, outDir.FullName, ct); // warm-up: JIT and page cache
            var total = new List<double>(); var parse = new List<double>(); var write = new List<double>(); var cpu = new List<double>();
            var rows = 0; long parquetBytes = 0;
            var peaks = new List<double>();
            using var proc = Process.GetCurrentProcess();
            for (var i = 0; i < repeats; i++)
            {
                GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(2, GCCollectionMode.Aggressive, true, true);
                var peakReset = ResetPeakResident();
                proc.Refresh();
                var cpu0 = proc.TotalProcessorTime;
                var r = await Once(path, outDir.FullName, ct);
                proc.Refresh();
                cpu.Add((proc.TotalProcessorTime - cpu0).TotalSeconds);
                if (peakReset) peaks.Add(proc.PeakWorkingSet64);
                total.Add(r.Parse + r.Write); parse.Add(r.Parse); write.Add(r.Write);
                rows = r.Rows; parquetBytes = r.ParquetBytes;
            }
            proc.Refresh();
            var median = Ratios.Median(total);
            var ours = bytes / median / 1e9;

            var writerRowsPerSecond = CsvWriterRowsPerSecond(repeats);
            var peerResult = Peers.Measure(peer, "pandas", "pandas_parse.py",
                [path, repeats.ToString(CultureInfo.InvariantCulture)], "gb_per_s", TimeSpan.FromMinutes(3));
            var details = new JsonObject
            {
                ["file"] = path,
                ["file_bytes"] = bytes,
                ["file_generated_seconds"] = Math.Round(generateSeconds, 2),
                ["rows"] = rows,
                ["repeats"] = repeats,
                ["warm_up"] = !s.Quick,
                ["threads"] = Environment.ProcessorCount,
                ["seconds"] = Ratios.Array(total),
                ["median_seconds"] = Math.Round(median, 4),
                ["median_parse_seconds"] = Math.Round(Ratios.Median(parse), 4),
                ["median_write_seconds"] = Math.Round(Ratios.Median(write), 4),
                ["median_cpu_seconds"] = Math.Round(Ratios.Median(cpu), 4),
                ["gb_per_cpu_second"] = Math.Round(bytes / Ratios.Median(cpu) / 1e9, 4), // less sensitive to a busy machine
                ["parquet_bytes"] = parquetBytes,
                ["synthetic_csv_writer_rows_per_s"] = Math.Round(writerRowsPerSecond),
                ["synthetic_csv_writer_measures"] = $"the source stage's KaggleCsvWriter.WriteTraining: {ParseBench.KaggleRows:N0} rows (500 synthetic faces repeated) to a stream that keeps nothing, median of {repeats}",
                // Per repeat when the kernel lets us reset the high-water mark (Linux), else over the whole process.
                ["peak_working_set_scope"] = peaks.Count > 0 ? "per repeat (median)" : "whole process",
                ["peak_working_set_bytes"] = peaks.Count > 0 ? (long)Ratios.Median(peaks) : proc.PeakWorkingSet64,
                ["peak_working_set_over_file_size"] = Math.Round((peaks.Count > 0 ? Ratios.Median(peaks) : proc.PeakWorkingSet64) / (double)bytes, 3),
                ["ours_measures"] = "the parse stage's ParseToParquet: KaggleCsvReader (strict, all fields validated) streaming blocks into FaceTable.Writer (Parquet, zstd fastest) with image hashes, parse and write overlapped",
                ["peer_measures"] = "pandas.read_csv + np.array(s.split(), dtype=np.uint8) per Image, stacked; no validation, nothing written",
                ["peer_output"] = peerResult.Output?.DeepClone(),
            };
            return BenchReport.Combine("parse", Math.Round(ours, 4), "GB/s", peerResult, higherIsBetter: true, details);
        }
        finally
        {
            try { outDir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Linux: writing 5 to /proc/self/clear_refs resets the peak resident size (VmHWM) that PeakWorkingSet64 reads.</summary>
    private static bool ResetPeakResident()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { return false; }
    }

    /// <summary>The synthetic source's CSV writer on a Kaggle-size row count (a figure, not a test: it was a timed unit test once).</summary>
    private static double CsvWriterRowsPerSecond(int repeats)
    {
        var faces = SyntheticFaces.Generate(new SyntheticOptions(TrainRows: 500, TestRows: 1)).Train;
        var rows = Enumerable.Range(0, ParseBench.KaggleRows).Select(i => faces[i % faces.Length]).ToList();
        KaggleCsvWriter.WriteTraining(Stream.Null, rows.Take(10)); // warm-up (JIT)
        var times = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            KaggleCsvWriter.WriteTraining(Stream.Null, rows);
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return rows.Count / Ratios.Median(times);
    }

    private static async Task<(double Parse, double Write, int Rows, long ParquetBytes)> Once(string path, string outDir, CancellationToken ct)
    {
        // Exactly the parse stage's work: parsing streams into the Parquet writer, the two overlap.
        var sw = Stopwatch.StartNew();
        var output = Path.Combine(outDir, "faces.parquet");
        var r = await ParseToParquet.RunAsync(path, output, new ParseOptions(ParseMode.Strict), new Dictionary<string, string> { ["fkd.stage"] = "bench" }, ct);
        var total = sw.Elapsed.TotalSeconds;
        // "parse" is the parser's own time; "write" is what the writer still needed after the parser finished.
        var parse = Math.Min(total, r.Elapsed.TotalSeconds);
        var write = total - parse;

        return (parse, write, (int)r.Rows, new FileInfo(output).Length);
    }
}
