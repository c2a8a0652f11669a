using System.CommandLine;
using Fkd.Cli.Commands;
using Fkd.Flow.Cluster;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace Fkd.Cli.Cluster;

/// <summary>
/// <c>worker</c>: a Hangfire server that takes stage jobs from named queues and computes them into the
/// shared store, with its own local store as the cache. It runs until stopped (Ctrl-C, SIGTERM); a job
/// it holds when it stops or dies goes back to the queue for another worker.
/// </summary>
public static class WorkerCommand
{
    public static Command Create()
    {
        var db = ClusterOptions.Db();
        var remote = Common.RemoteOption();
        var queues = new Option<string>("--queues") { Description = "queues to take jobs from, comma-separated (cpu, gpu, or your own)", DefaultValueFactory = _ => QueueNames.Cpu };
        var slots = new Option<int>("--slots") { Description = "jobs this worker runs at once", DefaultValueFactory = _ => 1 };
        var name = new Option<string?>("--name") { Description = "the worker's name in run reports and the dashboard (default: host:pid)" };
        var dashboard = new Option<int?>("--dashboard") { Description = "serve Hangfire's dashboard (jobs, queues, workers, failures) on 127.0.0.1:PORT" };
        var invisibility = new Option<int>("--invisibility-timeout")
        {
            Description = "seconds after which a job whose worker stopped refreshing it (died) is handed to another worker",
            DefaultValueFactory = _ => (int)ClusterStorage.DefaultInvisibility.TotalSeconds,
        };
        var cmd = new Command("worker", "take stage jobs from the cluster's queues and compute them into the shared store")
            { db, remote, queues, slots, name, dashboard, invisibility };
        cmd.SetAction((pr, ct) => RunAsync(pr.GetValue(Common.StoreOption)!,
            ClusterOptions.Require(pr.GetValue(db), "--db", "FKD_DB"),
            ClusterOptions.Require(pr.GetValue(remote), "--remote", "FKD_REMOTE"),
            pr.GetValue(queues)!, pr.GetValue(slots), pr.GetValue(name), pr.GetValue(dashboard), pr.GetValue(invisibility),
            pr.GetValue(Common.VerboseOption), ct));
        return cmd;
    }

    private static async Task<int> RunAsync(string storeDir, string conn, string remoteUrl, string queueList, int slots, string? name,
        int? dashboard, int invisibility, bool verbose, CancellationToken ct)
    {
        var queues = queueList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (queues.Length == 0 || queues.FirstOrDefault(q => !QueueNames.IsValid(q)) is { } bad && bad is not null)
            throw new UsageException($"--queues {queueList}: expected queue names of lowercase letters, digits, '_' and '-', comma-separated");
        if (slots < 1) throw new UsageException($"--slots {slots}: expected at least 1");
        if (invisibility < 5) throw new UsageException($"--invisibility-timeout {invisibility}: expected at least 5 seconds");
        if (dashboard is < 1 or > 65535) throw new UsageException($"--dashboard {dashboard}: expected a port 1-65535");
        var workerName = name ?? $"{Environment.MachineName}:{Environment.ProcessId}";

        using var log = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose, restrictedToMinimumLevel: LogEventLevel.Information,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}" + (verbose ? "{Exception}" : ""))
            .CreateLogger();
        var store = new Fkd.Flow.Store.ArtifactStore(storeDir, log);
        using var remote = Common.OpenRemote(Common.RemoteUrl(remoteUrl)!, log);
        var cluster = new ClusterDb(conn);
        await cluster.EnsureSchemaAsync(ct);
        store.CleanTmp();
        var context = new WorkerContext(workerName, store, remote, cluster, StageKinds.Create(), log);

        void Services(IServiceCollection s, ILoggingBuilder logging)
        {
            // Hangfire's own messages: warnings and worse, on stderr like every log of this program.
            logging.ClearProviders();
            logging.AddConsole(o => o.LogToStandardErrorThreshold = Microsoft.Extensions.Logging.LogLevel.Trace);
            logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
            s.AddSingleton(context);
            s.AddTransient<StageJobRunner>();
            s.AddHangfire(c => c.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(conn), ClusterStorage.Options(TimeSpan.FromSeconds(invisibility))));
            s.AddHangfireServer(o =>
            {
                o.ServerName = workerName;
                o.Queues = queues;
                o.WorkerCount = slots;
                o.ShutdownTimeout = TimeSpan.FromSeconds(10);
            });
        }

        log.Information("Worker {Worker}: queues {Queues}, {Slots} slot(s), store {Store}, shared store {Remote}",
            workerName, string.Join(",", queues), slots, store.Root, remote.Url);
        IHost host;
        if (dashboard is { } port)
        {
            var b = WebApplication.CreateSlimBuilder();
            b.WebHost.UseUrls($"http://127.0.0.1:{port}");
            Services(b.Services, b.Logging);
            var app = b.Build();
            // Loopback only: the dashboard can delete and requeue jobs, so it is never served beyond this machine.
            app.MapGet("/", () => Microsoft.AspNetCore.Http.Results.Redirect("/hangfire"));
            app.UseHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [new LocalRequestsOnly()], DashboardTitle = $"Fkd.Flow worker {workerName}" });
            host = app;
            log.Information("Dashboard on http://127.0.0.1:{Port}/hangfire", port);
        }
        else
        {
            var b = Host.CreateApplicationBuilder();
            Services(b.Services, b.Logging);
            host = b.Build();
        }
        await host.RunAsync(ct);
        log.Information("Worker {Worker} stopped", workerName);
        return ExitCodes.Ok;
    }

    private sealed class LocalRequestsOnly : Hangfire.Dashboard.IDashboardAuthorizationFilter
    {
        public bool Authorize(Hangfire.Dashboard.DashboardContext context) =>
            context.GetHttpContext().Connection.RemoteIpAddress is { } ip && System.Net.IPAddress.IsLoopback(ip);
    }
}
