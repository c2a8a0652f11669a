using System.CommandLine;
using Fkd.Flow.Remote;
using Serilog;

namespace Fkd.Cli.Cluster;

/// <summary>The options that point a command at the cluster's database and shared store, each with its environment variable.</summary>
public static class ClusterOptions
{
    public static Option<string?> Db() => new("--db")
    {
        Description = "the cluster's PostgreSQL connection string, e.g. Host=db;Username=fkd;Password=…;Database=fkd (default: $FKD_DB)",
        DefaultValueFactory = _ => Env("FKD_DB"),
    };

    public static Option<string?> Remote() => new("--remote")
    {
        Description = "the shared store, s3://BUCKET/PREFIX (default: $FKD_REMOTE); endpoint from $FKD_S3_ENDPOINT, credentials from the AWS environment or profile",
        DefaultValueFactory = _ => Env("FKD_REMOTE"),
    };

    /// <summary>The shared store named by a URL; a malformed one is a usage error.</summary>
    public static IRemoteStore OpenRemote(string url, ILogger log) =>
        RemoteUrl.Parse(url).Match(
            Right: u => S3RemoteStore.Open(u, S3Settings.FromEnvironment(), log),
            Left: why => throw new UsageException($"--remote {url}: {why}"));

    public static string Require(string? value, string option, string env) =>
        value is { Length: > 0 } v ? v : throw new UsageException($"{option} is needed (or set {env})");

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
