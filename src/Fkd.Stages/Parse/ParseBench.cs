using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Fkd.Stages.Parse;

/// <summary>One benchmark figure: median over <see cref="Repeats"/> reads of one file. MedianCpuSeconds = process CPU
/// time per read (all threads): on a busy machine, bytes / CPU second says more than wall-clock GB/s.</summary>
public sealed record ParseBenchResult(
    string File, int Threads, int Repeats, long Bytes, int Rows,
    double MedianSeconds, double GigabytesPerSecond, double MedianCpuSeconds, long PeakWorkingSetBytes, long ManagedBytesAfterRead);

/// <summary>Helpers for a "bench parse" verb: a deterministic Kaggle-size file and a timing loop.</summary>
public static class ParseBench
{
    public const int KaggleRows = 7049;
    public const string KaggleSizeFileName = "kaggle-size-training.csv";

    /// <summary>
    /// Writes (if absent) a deterministic 7,049-row training-format CSV of about 240 MB into <paramref name="dir"/>
    /// and returns its path. Like Kaggle's file: 30% of rows have all 15 keypoints, the rest only 4
    /// (other fields empty); pixel values are mostly 3-digit. Written to a temp name, then renamed.
    /// </summary>
    public static string EnsureKaggleSizeFile(string dir)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, KaggleSizeFileName);
        if (File.Exists(path)) return path;
        var tmp = path + "." + Environment.ProcessId + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var head = Encoding.ASCII.GetBytes(string.Join(",", Keypoints.Columns) + ",Image\n");
            fs.Write(head);
            var line = new byte[Keypoints.PixelCount * 4 + 1024];
            ulong state = 0x9E3779B97F4A7C15UL;
            ulong Next() { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
            for (var r = 0; r < KaggleRows; r++)
            {
                var n = 0;
                var full = r % 10 < 3;
                for (var c = 0; c < Keypoints.CoordCount; c++)
                {
                    var k = c / 2;
                    if (full || Keypoints.FourKeypointSubset.Contains(k))
                    {
                        var v = 10.0 + (Next() % 7_600_000_000UL) / 100_000_000.0; // [10, 86)
                        n += Encoding.ASCII.GetBytes(v.ToString("F10", CultureInfo.InvariantCulture), line.AsSpan(n));
                    }
                    line[n++] = (byte)',';
                }
                for (var i = 0; i < Keypoints.PixelCount; i++)
                {
                    var x = Next();
                    var bucket = x % 100;
                    var v = bucket < 80 ? 100 + (int)((x >> 8) % 156) : bucket < 97 ? 10 + (int)((x >> 8) % 90) : (int)((x >> 8) % 10);
                    if (v >= 100) line[n++] = (byte)('0' + v / 100);
                    if (v >= 10) line[n++] = (byte)('0' + v / 10 % 10);
                    line[n++] = (byte)('0' + v % 10);
                    line[n++] = (byte)' ';
                }
                line[n - 1] = (byte)'\n';
                fs.Write(line, 0, n);
            }
        }
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    /// <summary>Reads <paramref name="path"/> <paramref name="repeats"/> times (after one warm-up read) and
    /// reports the median speed in GB/s (10^9 uncompressed bytes per second) and memory.</summary>
    public static ParseBenchResult Measure(string path, int threads, int repeats = 3)
    {
        var o = new ParseOptions(ParseMode.Strict, Threads: threads);
        _ = KaggleCsvReader.Read(path, o); // warm-up (JIT, page cache)
        var times = new List<double>();
        var cpu = new List<double>();
        using var proc = Process.GetCurrentProcess();
        long bytes = 0; int rows = 0; long managed = 0;
        for (var i = 0; i < repeats; i++)
        {
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var ok = KaggleCsvReader.Read(path, o);
            sw.Stop();
            proc.Refresh();
            cpu.Add((proc.TotalProcessorTime - cpu0).TotalSeconds);
            times.Add(sw.Elapsed.TotalSeconds);
            bytes = ok.BytesRead; rows = ok.Rows.Length;
            managed = GC.GetTotalMemory(true); // live bytes with the result still reachable (outside the timing)
            GC.KeepAlive(ok);
        }
        times.Sort();
        cpu.Sort();
        var median = times[times.Count / 2];
        proc.Refresh();
        return new ParseBenchResult(path, threads, repeats, bytes, rows, median, bytes / median / 1e9, cpu[cpu.Count / 2],
            proc.PeakWorkingSet64, managed);
    }
}
