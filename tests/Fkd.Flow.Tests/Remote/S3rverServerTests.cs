using System.Diagnostics;

namespace Fkd.Flow.Tests.Remote;

/// <summary>The test server stops by itself: its standard input closing (as when the test process dies) ends it, with no kill.</summary>
public sealed class S3rverServerTests
{
    [S3rverFact]
    public void The_server_exits_by_itself_when_its_input_closes()
    {
        using var fixture = new S3rverServer(); // installs the pinned s3rver when missing
        var data = Directory.CreateTempSubdirectory("fkd-s3rver-watchdog-").FullName;
        try
        {
            var psi = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = S3rverServer.PackageDir };
            foreach (var a in new[] { Path.Combine(S3rverServer.PackageDir, "serve.js"), data, "0", "watchdog-test" }) psi.ArgumentList.Add(a);
            using var node = Process.Start(psi)!;
            try
            {
                var line = node.StandardOutput.ReadLineAsync();
                Assert.True(line.Wait(TimeSpan.FromSeconds(60)), "no 'listening' line in 60 s");
                Assert.StartsWith("listening ", line.Result);
                Assert.False(node.HasExited);

                node.StandardInput.Close(); // what the OS does to the pipe when the test process dies
                Assert.True(node.WaitForExit(TimeSpan.FromSeconds(10)), "s3rver still running 10 s after its input closed");
                Assert.Equal(0, node.ExitCode);
            }
            finally
            {
                if (!node.HasExited) node.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
