using System.CommandLine;

namespace Fkd.Cli.Commands;

public static class ReportCommand
{
    public static Command Create()
    {
        var cmd = new Command("report", "not built yet");
        cmd.SetAction(_ => { System.Console.Error.WriteLine("error: 'report' is not available in this build"); return ExitCodes.Failure; });
        return cmd;
    }
}
