using Fkd.Cli.Console;

namespace Fkd.Cli.Tests.Console;

public sealed class ConsoleObserverTests
{
    [Theory]
    // A fresh training: epoch 1 of 30 reported at 55 s, epoch 2 at 110 s: 28 epochs at 55 s each are left.
    [InlineData(55, 1.0 / 30, 2.0 / 30, 1540)]
    // A training resumed at epoch 33 of 40: epoch 34 was its first report, epoch 35 came 50 s later: 5 epochs left.
    [InlineData(50, 34.0 / 40, 35.0 / 40, 250)]
    // Halfway since the first report at 0 (a stage that reports its start): as long again.
    [InlineData(30, 0, 0.5, 30)]
    public void Time_left_is_the_pace_since_the_first_report(double seconds, double first, double now, double expected)
    {
        var left = ConsoleObserver.TimeLeft(TimeSpan.FromSeconds(seconds), first, now);
        Assert.NotNull(left);
        Assert.Equal(expected, left.Value.TotalSeconds, 6);
    }

    [Theory]
    [InlineData(0, 0.85, 0.85)]   // the first report itself: no pace yet
    [InlineData(40, 0.5, 0.5)]    // no progress since
    [InlineData(40, 0.2, 1.0)]    // done
    public void No_estimate_without_a_pace_or_with_nothing_left(double seconds, double first, double now) =>
        Assert.Null(ConsoleObserver.TimeLeft(TimeSpan.FromSeconds(seconds), first, now));
}
