namespace Fkd.Cli.Tests.EndToEnd;

/// <summary>A problem reads as one paragraph on the console (where, what was expected); the stack trace is the run log's, or --verbose's.</summary>
public sealed class ConsoleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-console-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private string BadCsv()
    {
        // A training file whose second data row has a word where a pixel should be.
        var pixels = string.Join(' ', Enumerable.Repeat("128", 96 * 96));
        var path = Path.Combine(_dir, "train.csv");
        File.WriteAllText(path, "nose_tip_x,nose_tip_y,Image\n48,50," + pixels + "\n47,51,128 abc " + pixels[8..] + "\n");
        return path;
    }

    [Fact]
    public void A_bad_row_is_one_located_message_and_its_stack_trace_goes_to_the_log()
    {
        var store = Path.Combine(_dir, "artifacts");
        string[] args = ["run", RepoPaths.InRepo("pipelines", "data.json"), "--store", store, "--set", "faces.train=" + BadCsv()];
        var plain = CliProcess.Run(null, args);
        Assert.Equal(ExitCodes.Failure, plain.Exit);
        Assert.Contains("training.csv:3:", plain.Stderr);
        Assert.Contains("Image: expected integer pixel, found 'abc' at pixel 2", plain.Stderr);
        Assert.DoesNotContain("   at Fkd.", plain.Stderr + plain.Stdout);
        var log = File.ReadAllText(Assert.Single(Directory.GetFiles(Path.Combine(store, "runs"), "log.json", SearchOption.AllDirectories)));
        Assert.Contains("at Fkd.Stages.Parse", log);

        var verbose = CliProcess.Run(null, [.. args, "--verbose"]);
        Assert.Equal(ExitCodes.Failure, verbose.Exit);
        Assert.Contains("   at Fkd.Stages.Parse", verbose.Stderr);
    }
}
