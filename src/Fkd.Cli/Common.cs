using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fkd.Flow.Store;

namespace Fkd.Cli;

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}

/// <summary>A usage or validation problem: exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

public static class Common
{
    public static readonly Option<string> StoreOption = new("--store")
    {
        Description = "the artifact store folder (default: $FKD_STORE or ./artifacts)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FKD_STORE") is { Length: > 0 } s ? s : "artifacts",
    };

    /// <summary>Stack traces on the console too (the run's JSON log always has them).</summary>
    public static readonly Option<bool> VerboseOption = new("--verbose") { Description = "show stack traces on the console (the run's JSON log always keeps them)", Recursive = true };

    public static Option<bool> JsonOption() => new("--json") { Description = "print one JSON object on stdout, for scripts" };

    public static ArtifactStore Store(System.CommandLine.ParseResult pr) => new(pr.GetValue(StoreOption)!);

    /// <summary><c>--remote s3://BUCKET/PREFIX</c>, defaulting to <c>$FKD_REMOTE</c>: the shared store in front of which the local one is the cache.</summary>
    public static Option<string?> RemoteOption() => new("--remote")
    {
        Description = "a shared store, s3://BUCKET/PREFIX (default: $FKD_REMOTE); the server from $FKD_S3_ENDPOINT (or AWS_ENDPOINT_URL_S3), credentials from the AWS environment or profile",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FKD_REMOTE") is { Length: > 0 } r ? r : null,
    };

    /// <summary>The remote URL checked, or a usage error saying what is wrong with it; null when none was given.</summary>
    public static Fkd.Flow.Remote.RemoteUrl? RemoteUrl(string? text) =>
        text is null ? null
        : Fkd.Flow.Remote.RemoteUrl.Parse(text).Match(u => u, why => throw new UsageException(why));

    /// <summary>A client for the shared store, its server and credentials from the environment (a bad endpoint is a usage error).</summary>
    public static Fkd.Flow.Remote.S3RemoteStore OpenRemote(Fkd.Flow.Remote.RemoteUrl url, Serilog.ILogger? log = null)
    {
        try { return Fkd.Flow.Remote.S3RemoteStore.Open(url, Fkd.Flow.Remote.S3Settings.FromEnvironment(), log); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }

    public static void PrintJson(JsonNode node) =>
        System.Console.Out.WriteLine(node.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));

    public static string Human(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1 << 20 => $"{bytes / 1024.0:F1} KiB",
        < 1 << 30 => $"{bytes / 1048576.0:F1} MiB",
        _ => $"{bytes / 1073741824.0:F2} GiB",
    };
}
