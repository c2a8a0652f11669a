using System.CommandLine;

namespace Fkd.Cli.Commands;

public static class EvaluateCommand
{
    public static Command Create()
    {
        var cmd = new Command("evaluate", "not built yet");
        cmd.SetAction(_ => { System.Console.Error.WriteLine("error: 'evaluate' is not available in this build"); return ExitCodes.Failure; });
        return cmd;
    }
}
