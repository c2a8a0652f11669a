using System.Text.Json.Nodes;
using Fkd.Cli.Tests.EndToEnd;
using Fkd.Flow.Store;

namespace Fkd.Cli.Tests.Commands;

/// <summary><c>run --remote</c>, <c>push</c> and <c>pull</c> through the CLI against a real S3 server (s3rver).</summary>
public sealed class RemoteCommandTests(S3rverServer server) : IClassFixture<S3rverServer>, IDisposable
{
    private static readonly string[] TinyFull =
    [
        "--set", "faces.train_rows=160", "--set", "faces.test_rows=12", "--set", "faces.duplicate_groups=4", "--set", "faces.wrong_labels=2",
        "--set", "train.epochs=1", "--set", "train.batch_size=32", "--set", "train.threads=2",
    ];

    private static readonly string[] TinyData = ["--set", "faces.train_rows=120", "--set", "faces.test_rows=10"];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private CliProcess.Result Cli(params string[] args) => CliProcess.Run(server.Environment, args);

    private static JsonObject Json(CliProcess.Result r) => JsonNode.Parse(r.Stdout)!.AsObject();

    private static Dictionary<string, string> Statuses(JsonObject run) =>
        run["stages"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => (string)s!["status"]!);

    [S3rverFact]
    public void A_run_on_a_second_empty_store_pulls_every_stage_of_the_full_pipeline_and_computes_none()
    {
        var url = server.NewUrl("full");
        var one = Cli(["run", RepoPaths.InRepo("pipelines", "full.json"), "--store", _dir.File("one"), "--remote", url, "--json", .. TinyFull]);
        Assert.True(one.Exit == 0, one.Tail);
        Assert.All(Statuses(Json(one)).Values, s => Assert.Equal("computed", s));

        var two = Cli(["run", RepoPaths.InRepo("pipelines", "full.json"), "--store", _dir.File("two"), "--remote", url, "--json", .. TinyFull]);
        Assert.True(two.Exit == 0, two.Tail);
        var statuses = Statuses(Json(two));
        Assert.All(statuses, s => Assert.True(s.Value == "pulled", $"{s.Key}: {s.Value}"));
        var a = new ArtifactStore(_dir.File("one"));
        var b = new ArtifactStore(_dir.File("two"));
        foreach (var key in Json(two)["stages"]!.AsArray().Select(s => (string)s!["key"]!))
        {
            Assert.Empty(b.Verify(key));
            Assert.Equal(File.ReadAllBytes(Path.Combine(a.EntryPath(key), Manifest.FileName)), File.ReadAllBytes(Path.Combine(b.EntryPath(key), Manifest.FileName)));
        }

        // The table says so too.
        var three = Cli(["run", RepoPaths.InRepo("pipelines", "full.json"), "--store", _dir.File("three"), "--remote", url, .. TinyFull]);
        Assert.True(three.Exit == 0, three.Tail);
        Assert.Contains($"0 computed, 0 cached, {statuses.Count} pulled", three.Stdout);
    }

    [S3rverFact]
    public void Push_and_pull_move_entries_by_hand_and_say_what_moved()
    {
        var one = Cli(["run", RepoPaths.InRepo("pipelines", "data.json"), "--store", _dir.File("one"), "--json", .. TinyData]);
        Assert.True(one.Exit == 0, one.Tail);
        var run = Json(one);
        var keys = run["stages"]!.AsArray().Select(s => (string)s!["key"]!).Distinct().ToList();
        var url = server.NewUrl("byhand");

        var push = Cli("push", "--store", _dir.File("one"), "--remote", url, "--json");
        Assert.True(push.Exit == 0, push.Tail);
        var pushed = Json(push);
        Assert.Equal(keys.Count, pushed["entries"]!.AsArray().Count);
        Assert.True((int)pushed["files_uploaded"]! > 0 && (long)pushed["bytes"]! > 0, push.Stdout);

        var again = Json(Cli("push", "last", "--store", _dir.File("one"), "--remote", url, "--json"));
        Assert.Equal(0, (int)again["files_uploaded"]!);
        Assert.Equal(0L, (long)again["bytes"]!);

        // One entry by a key prefix only the shared store knows, then the rest by full key; FKD_REMOTE stands in for --remote.
        var two = _dir.File("two");
        var first = Json(Cli("pull", keys[0][..10], "--store", two, "--remote", url, "--json"));
        Assert.Equal(1, (int)first["pulled"]!);
        Assert.Equal(keys[0], (string)first["entries"]![0]!["key"]!);
        var env = new Dictionary<string, string>(server.Environment) { ["FKD_REMOTE"] = url };
        long bytes = 0;
        foreach (var k in keys)
        {
            var r = CliProcess.Run(env, "pull", k, "--store", two, "--json");
            Assert.True(r.Exit == 0, r.Tail);
            var o = Json(r);
            Assert.Equal(k == keys[0] ? "local" : "pulled", (string)o["entries"]![0]!["status"]!);
            bytes += (long)o["bytes"]!;
        }
        Assert.True(bytes > 0);
        var a = new ArtifactStore(_dir.File("one"));
        var b = new ArtifactStore(two);
        foreach (var k in keys)
        {
            var m = a.EntryManifest(k).Match(x => x, () => throw new Xunit.Sdk.XunitException("no manifest"));
            foreach (var name in m.Files.Select(f => f.Name).Append(Manifest.FileName))
                Assert.Equal(File.ReadAllBytes(Path.Combine(a.EntryPath(k), name)), File.ReadAllBytes(Path.Combine(b.EntryPath(k), name)));
        }

        // A run the store has (by id) pulls whatever of it is missing: here nothing.
        var byRun = Cli("pull", (string)run["run"]!, "--store", _dir.File("one"), "--remote", url, "--json");
        Assert.True(byRun.Exit == 0, byRun.Tail);
        Assert.Equal(keys.Count, (int)Json(byRun)["skipped"]!);

        // A key the shared store lacks is a failure at run time; a name that is nothing is a usage error.
        var missing = Cli("pull", new string('0', 64), "--store", two, "--remote", url, "--json");
        Assert.Equal(1, missing.Exit);
        Assert.Equal("missing", (string)Json(missing)["entries"]![0]!["status"]!);
        var unknown = Cli("pull", "no-such-run", "--store", two, "--remote", url);
        Assert.Equal(2, unknown.Exit);
        Assert.Contains("names no run", unknown.Stderr);
        var unknownPush = Cli("push", "nosuchstage", "--store", _dir.File("one"), "--remote", url);
        Assert.Equal(2, unknownPush.Exit);
        Assert.Contains("names no stage", unknownPush.Stderr);
    }

    [S3rverFact]
    public void A_pulled_object_corrupted_in_the_server_is_recomputed_by_the_next_run()
    {
        var url = server.NewUrl("corrupt");
        var one = Cli(["run", RepoPaths.InRepo("pipelines", "data.json"), "--store", _dir.File("one"), "--remote", url, "--json", .. TinyData]);
        Assert.True(one.Exit == 0, one.Tail);
        var dedup = Json(one)["stages"]!.AsArray().Single(s => (string)s!["name"]! == "dedup")!;
        var m = new ArtifactStore(_dir.File("one")).EntryManifest((string)dedup["key"]!).Match(x => x, () => throw new Xunit.Sdk.XunitException("no manifest"));
        var file = m.Files.First(f => f.Name == "faces.parquet");
        var prefix = url["s3://".Length..].Split('/', 2)[1];
        var obj = server.ObjectFile($"{prefix}/files/{file.Xxh128}");
        var bytes = File.ReadAllBytes(obj);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(obj, bytes);

        var two = Cli(["run", RepoPaths.InRepo("pipelines", "data.json"), "--store", _dir.File("two"), "--remote", url, "--json", .. TinyData]);
        Assert.True(two.Exit == 0, two.Tail);
        var statuses = Statuses(Json(two));
        Assert.Equal("computed", statuses["dedup"]);
        Assert.All(statuses.Where(s => s.Key != "dedup"), s => Assert.Equal("pulled", s.Value));
        Assert.Contains("content hash", two.Stderr); // the warning says why it was not used
        Assert.Equal(file.Xxh128, ContentHash.OfFile(obj)); // pushed again, whole
    }

    [Fact]
    public void Bad_urls_and_a_missing_remote_are_usage_errors_and_an_unreachable_one_a_failure()
    {
        var store = _dir.File("s");
        var bad = CliProcess.Run(null, "run", RepoPaths.InRepo("pipelines", "data.json"), "--store", store, "--remote", "http://bucket/x");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("does not start with s3://", bad.Stderr);
        Assert.DoesNotContain("   at ", bad.Stderr);

        var badBucket = CliProcess.Run(null, "push", "--store", store, "--remote", "s3://No_Such/x");
        Assert.Equal(2, badBucket.Exit);
        Assert.Contains("bucket name", badBucket.Stderr);

        var none = CliProcess.Run(new Dictionary<string, string> { ["FKD_REMOTE"] = "" }, "pull", "--store", store);
        Assert.Equal(2, none.Exit);
        Assert.Contains("no shared store", none.Stderr);

        var env = new Dictionary<string, string> { ["FKD_S3_ENDPOINT"] = "http://127.0.0.1:9", ["AWS_ACCESS_KEY_ID"] = "k", ["AWS_SECRET_ACCESS_KEY"] = "s" };
        var unreachable = CliProcess.Run(env, "pull", new string('a', 64), "--store", store, "--remote", "s3://bucket/x");
        Assert.Equal(1, unreachable.Exit);
        Assert.Contains("shared store s3://bucket/x", unreachable.Stderr);
        Assert.DoesNotContain("   at ", unreachable.Stderr);
    }
}
