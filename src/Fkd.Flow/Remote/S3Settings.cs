namespace Fkd.Flow.Remote;

/// <summary>
/// How to reach an S3 server. Null members fall back to the AWS SDK's own chain (environment variables
/// <c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_PROFILE</c> and the shared config files).
/// </summary>
/// <param name="Endpoint">An S3 server other than AWS (MinIO, Ceph RGW, …), e.g. <c>http://127.0.0.1:9000</c>.</param>
/// <param name="Region">The signing region; AWS needs the bucket's, other servers mostly accept any (us-east-1 by default).</param>
public sealed record S3Settings(string? Endpoint = null, string? Region = null, string? AccessKey = null, string? SecretKey = null)
{
    /// <summary>
    /// From the environment: the endpoint from <c>FKD_S3_ENDPOINT</c>, else the SDK's standard
    /// <c>AWS_ENDPOINT_URL_S3</c> or <c>AWS_ENDPOINT_URL</c>; the region from <c>AWS_REGION</c> or
    /// <c>AWS_DEFAULT_REGION</c>; credentials are left to the SDK's chain.
    /// </summary>
    public static S3Settings FromEnvironment() => new(
        Endpoint: Env("FKD_S3_ENDPOINT") ?? Env("AWS_ENDPOINT_URL_S3") ?? Env("AWS_ENDPOINT_URL"),
        Region: Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION"));

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
