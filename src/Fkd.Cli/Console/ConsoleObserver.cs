using System.Collections.Concurrent;
using System.Diagnostics;
using Fkd.Flow.Exec;
using Fkd.Flow.Stages;
using Spectre.Console;

namespace Fkd.Cli.Console;

/// <summary>
/// Shows a run as it happens: Spectre progress bars for running stages when stderr is a terminal,
/// plain timestamped lines otherwise (logs, CI). The per-stage result table is printed by the
/// run command at the end, on stdout.
/// </summary>
public sealed class ConsoleObserver : IRunObserver
{
    private readonly ProgressContext? _bars;
    private readonly ConcurrentDictionary<string, ProgressTask> _tasks = new();
    private readonly ConcurrentDictionary<string, (long Tick, double Fraction)> _lastPlain = new();
    private readonly ConcurrentDictionary<string, long> _started = new();
    private readonly ConcurrentDictionary<string, (long Tick, double Fraction)> _firstReport = new();

    public ConsoleObserver(ProgressContext? bars) => _bars = bars;

    public void StageStarted(PlannedStage stage)
    {
        _started[stage.Name] = Stopwatch.GetTimestamp();
        _firstReport.TryRemove(stage.Name, out _);
        if (_bars is not null) _tasks[stage.Name] = _bars.AddTask($"{stage.Name} [grey]{stage.Key[..12]}[/]", maxValue: 1);
        else System.Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {stage.Name,-14} {stage.Key[..12]}  running ({string.Join("; ", stage.Why)})");
    }

    public void StageProgress(PlannedStage stage, StageProgress p)
    {
        var fraction = p.Total > 0 ? Math.Clamp(p.Done / p.Total, 0, 1) : 0;
        if (_bars is not null && _tasks.TryGetValue(stage.Name, out var t))
        {
            t.Value = fraction;
            if (p.Message.Length > 0) t.Description = $"{stage.Name} [grey]{Markup.Escape(p.Message)}[/]";
            return;
        }
        // Plain output: a line at most every 5 s per stage, or when a message (e.g. an epoch) arrives.
        var now = Stopwatch.GetTimestamp();
        var last = _lastPlain.GetValueOrDefault(stage.Name);
        if (p.Message.Length == 0 && Stopwatch.GetElapsedTime(last.Tick, now).TotalSeconds < 5) return;
        _lastPlain[stage.Name] = (now, fraction);
        System.Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {stage.Name,-14} {fraction,6:P0}  {p.Message}{Timing(stage.Name, fraction, now)}");
    }

    /// <summary>
    /// " (1m 02s, about 1m 41s left)": how long the stage has run and what is left, at the pace it has kept since its
    /// first report. Not from its start: a training resumed from a checkpoint starts with most of its share done
    /// (epoch 34 of 40 an epoch after starting), and the time since the start spread over that share would say seconds.
    /// </summary>
    private string Timing(string stage, double fraction, long now)
    {
        if (!_started.TryGetValue(stage, out var start)) return "";
        var first = _firstReport.GetOrAdd(stage, (now, fraction));
        var elapsed = Stopwatch.GetElapsedTime(start, now);
        if (elapsed < TimeSpan.FromSeconds(10)) return "";
        var left = TimeLeft(Stopwatch.GetElapsedTime(first.Tick, now), first.Fraction, fraction) is { } l ? $", about {Span(l)} left" : "";
        return $" ({Span(elapsed)}{left})";
    }

    /// <summary>What is left at the pace from <paramref name="firstFraction"/> to <paramref name="fraction"/> in <paramref name="sinceFirst"/>; none before a second report.</summary>
    public static TimeSpan? TimeLeft(TimeSpan sinceFirst, double firstFraction, double fraction) =>
        fraction < 1 && fraction - firstFraction > 1e-9 && sinceFirst > TimeSpan.Zero
            ? sinceFirst * ((1 - fraction) / (fraction - firstFraction))
            : null;

    private static string Span(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h {t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m {t.Seconds:D2}s" : $"{t.Seconds}s";

    public void StageFinished(StageResult r)
    {
        if (_bars is not null && _tasks.TryGetValue(r.Name, out var t))
        {
            t.Value = 1;
            t.StopTask();
        }
        else if (r.Status != StageStatus.Cached)
            System.Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {r.Name,-14} {r.Status.ToString().ToLowerInvariant()}{(r.Error is null ? "" : ": " + r.Error)}");
    }
}
