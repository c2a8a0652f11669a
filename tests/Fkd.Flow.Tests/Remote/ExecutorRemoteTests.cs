using Fkd.Flow.Exec;
using Fkd.Flow.Remote;
using Fkd.Flow.Spec;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;

namespace Fkd.Flow.Tests.Remote;

/// <summary>Runs with a shared store: a stage anyone computed is pulled, not recomputed; a bad object is a miss, never an input.</summary>
public sealed class ExecutorRemoteTests(S3rverServer server) : IClassFixture<S3rverServer>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One "machine": its own stages (with run counters) and its own local store.</summary>
    private sealed class Machine
    {
        public readonly CountingStage A = new("src"), B = new("mid"), C = new("end");
        public readonly ArtifactStore Store;
        private readonly string _pipeline;
        private readonly StageRegistry _registry;

        public Machine(TempDir dir, string name)
        {
            Store = new ArtifactStore(dir.File(name));
            _registry = new StageRegistry([A, B, C]);
            _pipeline = dir.File("p.json");
            if (!File.Exists(_pipeline))
            {
                File.WriteAllText(dir.File("input.txt"), "hello");
                File.WriteAllText(_pipeline, """
                {"stages": {
                  "a": {"kind": "src", "params": {"label": "A"}, "inputs": {"file": "input.txt"}},
                  "b": {"kind": "mid", "params": {"label": "B"}, "inputs": {"up": "a"}},
                  "c": {"kind": "end", "params": {"label": "C"}, "inputs": {"up": "b"}}
                }}
                """);
            }
        }

        public async Task<RunResult> Run(IRemoteStore? remote)
        {
            var spec = PipelineLoader.Load(_pipeline, [], _registry, Path.GetDirectoryName(_pipeline)!);
            Assert.True(spec.IsSuccess, string.Join("\n", spec.FailToSeq()));
            var hashes = FileHashCache.Load(Path.Combine(Store.Root, "file-hashes.json"));
            var plan = Plan.Make(spec.SuccessToSeq().Head(), _registry, Store, hashes, new HashSet<string>());
            Assert.True(plan.IsSuccess);
            return await new Executor(Store, hashes, Serilog.Core.Logger.None, NullObserver.Instance, TimeProvider.System) { Remote = remote }
                .RunAsync(plan.SuccessToSeq().Head(), 2, CancellationToken.None);
        }

        public int Runs => A.Runs + B.Runs + C.Runs;
    }

    private static string Statuses(RunResult r) => string.Join(",", r.Stages.Select(s => $"{s.Name}={s.Status.ToString().ToLowerInvariant()}"));

    [S3rverFact]
    public async Task A_second_machine_pulls_every_stage_and_computes_none()
    {
        using var remote = S3RemoteStoreTests.Open(server, server.NewUrl());
        var first = new Machine(_dir, "one");
        Assert.Equal("a=computed,b=computed,c=computed", Statuses(await first.Run(remote)));

        var second = new Machine(_dir, "two");
        var r = await second.Run(remote);
        Assert.Equal("a=pulled,b=pulled,c=pulled", Statuses(r));
        Assert.Equal(0, second.Runs);
        foreach (var s in r.Stages)
        {
            Assert.Empty(second.Store.Verify(s.Key));
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(first.Store.EntryPath(s.Key), "out.txt")),
                await File.ReadAllBytesAsync(Path.Combine(second.Store.EntryPath(s.Key), "out.txt")));
        }
        Assert.Equal("a=cached,b=cached,c=cached", Statuses(await second.Run(remote)));
    }

    [S3rverFact]
    public async Task What_a_store_had_already_is_shared_by_a_run_with_the_remote()
    {
        var first = new Machine(_dir, "one");
        Assert.Equal("a=computed,b=computed,c=computed", Statuses(await first.Run(null)));
        using var remote = S3RemoteStoreTests.Open(server, server.NewUrl());
        Assert.Equal("a=cached,b=cached,c=cached", Statuses(await first.Run(remote)));

        var second = new Machine(_dir, "two");
        Assert.Equal("a=pulled,b=pulled,c=pulled", Statuses(await second.Run(remote)));
    }

    [S3rverFact]
    public async Task A_corrupted_object_is_caught_on_download_recomputed_and_pushed_again()
    {
        using var remote = S3RemoteStoreTests.Open(server, server.NewUrl());
        var first = new Machine(_dir, "one");
        var keys = (await first.Run(remote)).Stages.ToDictionary(s => s.Name, s => s.Key);
        var file = first.Store.EntryManifest(keys["b"]).Match(m => m.Files.Single(), () => throw new Xunit.Sdk.XunitException("no manifest"));
        var obj = server.ObjectFile($"{remote.Location.Prefix}/files/{file.Xxh128}");
        var bytes = await File.ReadAllBytesAsync(obj);
        bytes[0] ^= 0x20; // "b:B…" becomes "B:B…": same size, other content
        await File.WriteAllBytesAsync(obj, bytes);

        var second = new Machine(_dir, "two");
        var r = await second.Run(remote);
        Assert.True(r.Ok, r.Error);
        Assert.Equal("a=pulled,b=computed,c=pulled", Statuses(r));
        Assert.Equal((0, 1, 0), (second.A.Runs, second.B.Runs, second.C.Runs));
        Assert.Empty(second.Store.Verify(keys["b"]));
        Assert.StartsWith("b:B:1|", await File.ReadAllTextAsync(Path.Combine(second.Store.EntryPath(keys["b"]), "out.txt")));

        // Pushed again correctly: the object is whole, and a third machine pulls everything.
        Assert.Equal(file.Xxh128, ContentHash.OfFile(obj));
        var third = new Machine(_dir, "three");
        Assert.Equal("a=pulled,b=pulled,c=pulled", Statuses(await third.Run(remote)));
    }

    [S3rverFact]
    public async Task A_truncated_object_is_caught_on_download_recomputed_and_pushed_again()
    {
        using var remote = S3RemoteStoreTests.Open(server, server.NewUrl());
        var first = new Machine(_dir, "one");
        var keys = (await first.Run(remote)).Stages.ToDictionary(s => s.Name, s => s.Key);
        var file = first.Store.EntryManifest(keys["a"]).Match(m => m.Files.Single(), () => throw new Xunit.Sdk.XunitException("no manifest"));
        var obj = server.ObjectFile($"{remote.Location.Prefix}/files/{file.Xxh128}");
        await using (var fs = new FileStream(obj, FileMode.Open)) fs.SetLength(3);

        var second = new Machine(_dir, "two");
        var r = await second.Run(remote);
        Assert.True(r.Ok, r.Error);
        Assert.Equal("a=computed,b=pulled,c=pulled", Statuses(r));
        Assert.Equal(file.Bytes, new FileInfo(obj).Length);
        Assert.Equal(file.Xxh128, ContentHash.OfFile(obj));
    }

    [Fact]
    public async Task An_unreachable_remote_is_a_miss_for_pulls_and_a_failed_push_fails_the_run_naming_it()
    {
        using var remote = S3RemoteStore.Open(RemoteUrl.Parse("s3://unreachable/x").Match(u => u, w => throw new ArgumentException(w)),
            new S3Settings("http://127.0.0.1:9", "us-east-1", "k", "s"));
        var m = new Machine(_dir, "one");
        var r = await m.Run(remote);
        Assert.False(r.Ok);
        Assert.Contains("s3://unreachable/x", r.Error);
        Assert.Contains("committed locally", r.Error);
        var a = r.Stages.Single(s => s.Name == "a");
        Assert.Equal(1, m.A.Runs); // computed although the pull failed
        Assert.True(m.Store.Lookup(a.Key).IsSome); // and kept
    }
}
