using Fkd.Flow.Remote;

namespace Fkd.Flow.Tests.Remote;

public sealed class RemoteUrlTests
{
    [Theory]
    [InlineData("s3://bucket", "bucket", "")]
    [InlineData("s3://my.bucket-1/", "my.bucket-1", "")]
    [InlineData("s3://bucket/team/fkd", "bucket", "team/fkd")]
    [InlineData("s3://bucket/team/fkd/", "bucket", "team/fkd")]
    public void Good_urls_parse(string text, string bucket, string prefix)
    {
        var u = RemoteUrl.Parse(text).Match(x => x, why => throw new Xunit.Sdk.XunitException(why));
        Assert.Equal((bucket, prefix), (u.Bucket, u.Prefix));
        Assert.Equal(prefix.Length == 0 ? "files/x" : $"{prefix}/files/x", u.ObjectKey("files/x"));
    }

    [Theory]
    [InlineData("", "empty remote URL")]
    [InlineData("http://bucket/x", "does not start with s3://")]
    [InlineData("bucket/x", "does not start with s3://")]
    [InlineData("s3://", "no bucket name")]
    [InlineData("s3:///prefix", "no bucket name")]
    [InlineData("s3://ab", "3 to 63 characters")]
    [InlineData("s3://Bucket", "lower-case letters")]
    [InlineData("s3://-bucket", "begin and end")]
    [InlineData("s3://bucket/a//b", "empty segment")]
    [InlineData("s3://bucket/a/../b", "may not contain ..")]
    [InlineData("s3://bucket/a b", "may hold only")]
    public void Bad_urls_say_what_is_wrong(string text, string expected)
    {
        var why = RemoteUrl.Parse(text).Match(u => throw new Xunit.Sdk.XunitException($"parsed as {u}"), w => w);
        Assert.Contains(expected, why);
    }
}
