using System.CommandLine;
using Fkd.Cli.Ui;

namespace Fkd.Cli.Commands;

/// <summary><c>ui</c>: a local web app over the store (runs, a run, comparisons, entries, worst predictions). Loopback only unless told.</summary>
public static class UiCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "port to listen on (0: any free one)", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "address to listen on (default 127.0.0.1: this machine only)", DefaultValueFactory = _ => "127.0.0.1" };
        var cmd = new Command("ui", "browse runs, compare them, look at entries and the worst predictions in a browser") { port, host };
        cmd.SetAction(async (pr, ct) =>
        {
            var store = Common.Store(pr);
            if (pr.GetValue(port) is < 0 or > 65535) throw new UsageException("--port must be in 0..65535");
            await using var app = UiServer.Build(store, pr.GetValue(host)!, pr.GetValue(port));
            await app.StartAsync(ct);
            // The address on stdout, one line, for scripts (and tests) that asked for port 0.
            System.Console.Out.WriteLine(UiServer.Address(app));
            System.Console.Out.Flush();
            System.Console.Error.WriteLine($"serving the store {store.Root}; Ctrl+C stops");
            try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
            await app.StopAsync(CancellationToken.None);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
