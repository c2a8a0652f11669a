using System.Net;
using System.Net.Sockets;
using Fkd.Tests;

namespace Fkd.Cli.Tests.Cluster;

/// <summary><c>worker --dashboard PORT</c>: Hangfire's dashboard on 127.0.0.1, seen in headless chromium: its server, its queue, the jobs that succeeded and the one that failed.</summary>
[Collection("cluster")]
public sealed class DashboardTests(LocalCluster cluster)
{
    [ClusterFact(Browser = true)]
    public void The_dashboard_shows_the_worker_its_queue_the_jobs_done_and_the_failure()
    {
        using var space = cluster.NewSpace("dash");
        var port = FreePort();
        space.StartWorker("dash-worker", "--dashboard", port.ToString());
        var bad = Path.Combine(space.Root, "training.csv");
        File.WriteAllText(bad, "left_eye_center_x,Image\n66.0,1 2 3\n");
        var run = space.Cli("coord", "run", RepoPaths.InRepo("pipelines", "data.json"), "--distributed", "--set", $"faces.train={bad}");
        Assert.Equal(1, run.Exit);

        var root = $"http://127.0.0.1:{port}/hangfire";
        var servers = ChromiumFactAttribute.DumpDom(root + "/servers");
        Assert.Contains("dash-worker", servers);
        Assert.Contains("cpu", servers);
        var succeeded = ChromiumFactAttribute.DumpDom(root + "/jobs/succeeded");
        Assert.Contains("StageJobRunner", succeeded);
        var failed = ChromiumFactAttribute.DumpDom(root + "/jobs/failed");
        Assert.Contains("StageJobFailedException", failed);
        Assert.Contains("training.csv", failed);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
