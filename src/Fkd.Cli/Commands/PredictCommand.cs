using System.CommandLine;

namespace Fkd.Cli.Commands;

public static class PredictCommand
{
    public static Command Create()
    {
        var cmd = new Command("predict", "not built yet");
        cmd.SetAction(_ => { System.Console.Error.WriteLine("error: 'predict' is not available in this build"); return ExitCodes.Failure; });
        return cmd;
    }
}
