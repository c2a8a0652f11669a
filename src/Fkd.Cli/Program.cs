using System.CommandLine;
using Fkd.Cli;
using Fkd.Cli.Commands;

// Exit codes: 0 ok, 1 failure at run time, 2 usage or validation error.
// First of all, before the runtime has started many threads: one glibc malloc arena for the whole process (see
// OneMallocArena: torch stages on pool threads otherwise pay a page fault per 4 KB of every large tensor).
Fkd.Stages.Torch.OneMallocArena.EnsureOrRestart();
// The process is prepared for libtorch here, once, before any large allocation; this loads only libc,
// so a pipeline without torch stages never loads libtorch. Thread counts are set per torch stage by TorchGate.
Fkd.Stages.Torch.TorchRuntime.PrepareProcess();

var root = new RootCommand("Fkd.Flow: a content-addressed pipeline that learns 15 facial keypoints on 96x96 faces.");
root.Options.Add(Common.StoreOption);
root.Options.Add(Common.VerboseOption);
foreach (var c in new[]
{
    RunCommand.Create(), LsCommand.Create(), InspectCommand.Create(), ShowCommand.Create(), ReportCommand.Create(),
    SqlCommand.Create(), GcCommand.Create(), VerifyCommand.Create(), EvaluateCommand.Create(), PredictCommand.Create(),
    BenchCommand.Create(), UiCommand.Create(), PushPullCommands.Push(), PushPullCommands.Pull(), Fkd.Cli.Cluster.WorkerCommand.Create(),
})
    root.Subcommands.Add(c);

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var e in parsed.Errors) System.Console.Error.WriteLine($"error: {e.Message}");
    System.Console.Error.WriteLine("Try 'fkd --help'.");
    return ExitCodes.Usage;
}
try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (UsageException e)
{
    System.Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.Usage;
}
catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException)
{
    System.Console.Error.WriteLine($"error: {e.Message}");
    if (parsed.GetValue(Common.VerboseOption)) System.Console.Error.WriteLine(e);
    return ExitCodes.Failure;
}
catch (Exception e)
{
    // Not one of ours: still one paragraph on the console; the trace with --verbose.
    System.Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
    System.Console.Error.WriteLine(parsed.GetValue(Common.VerboseOption) ? e.ToString() : "(run again with --verbose for the stack trace)");
    return ExitCodes.Failure;
}
