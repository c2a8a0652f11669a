using System.CommandLine;

namespace Fkd.Cli.Commands;

public static class ShowCommand
{
    public static Command Create()
    {
        var cmd = new Command("show", "not built yet");
        cmd.SetAction(_ => { System.Console.Error.WriteLine("error: 'show' is not available in this build"); return ExitCodes.Failure; });
        return cmd;
    }
}
