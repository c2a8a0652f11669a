using System.CommandLine;

namespace Fkd.Cli.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "not built yet");
        cmd.SetAction(_ => { System.Console.Error.WriteLine("error: 'bench' is not available in this build"); return ExitCodes.Failure; });
        return cmd;
    }
}
