using System.CommandLine;

namespace Fkd.Cli.Cluster;

/// <summary>The option that points a command at the cluster's database (the shared store's is <see cref="Common.RemoteOption"/>).</summary>
public static class ClusterOptions
{
    public static Option<string?> Db() => new("--db")
    {
        Description = "the cluster's PostgreSQL connection string, e.g. Host=db;Username=fkd;Password=…;Database=fkd (default: $FKD_DB)",
        DefaultValueFactory = _ => Env("FKD_DB"),
    };

    public static string Require(string? value, string option, string env) =>
        value is { Length: > 0 } v ? v : throw new UsageException($"{option} is needed (or set {env})");

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
