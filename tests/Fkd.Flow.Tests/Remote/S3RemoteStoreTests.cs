using System.Collections.Immutable;
using Fkd.Flow.Keys;
using Fkd.Flow.Remote;
using Fkd.Flow.Store;

namespace Fkd.Flow.Tests.Remote;

/// <summary>The shared store against a real S3 server (s3rver): what goes up comes down whole, and nothing wrong comes down at all.</summary>
public sealed class S3RemoteStoreTests(S3rverServer server) : IClassFixture<S3rverServer>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    internal static S3RemoteStore Open(S3rverServer server, string url) =>
        S3RemoteStore.Open(RemoteUrl.Parse(url).Match(u => u, why => throw new ArgumentException(why)),
            new S3Settings(server.Endpoint, "us-east-1", S3rverServer.AccessKey, S3rverServer.SecretKey));

    /// <summary>A committed local entry with a nested file, an empty one and one bigger than the download buffer.</summary>
    private static async Task<Manifest> MakeEntry(ArtifactStore store, string key)
    {
        var tmp = store.BeginEntry(key);
        Directory.CreateDirectory(Path.Combine(tmp, "sub"));
        var big = new byte[(3 << 20) + 12345];
        new Random(7).NextBytes(big);
        await File.WriteAllBytesAsync(Path.Combine(tmp, "sub", "big.bin"), big);
        await File.WriteAllTextAsync(Path.Combine(tmp, "out.txt"), "hello " + key[..8]);
        await File.WriteAllBytesAsync(Path.Combine(tmp, "empty.bin"), []);
        return await store.CommitAsync(tmp, files => new Manifest(KeyMaterial.CurrentFormatVersion, key, "toy",
            new KeyMaterial("toy", 1, "{}", ImmutableSortedDictionary<string, string>.Empty, "", KeyMaterial.CurrentFormatVersion),
            files, 1, ImmutableSortedDictionary<string, string>.Empty, DateTimeOffset.UtcNow, 0.5), CancellationToken.None);
    }

    private static string NewKey() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    [S3rverFact]
    public async Task Push_then_pull_into_an_empty_store_gives_the_same_files_and_manifest()
    {
        var a = new ArtifactStore(_dir.File("a"));
        var b = new ArtifactStore(_dir.File("b"));
        var key = NewKey();
        var m = await MakeEntry(a, key);
        using var remote = Open(server, server.NewUrl());

        Assert.True((await remote.FindAsync(key, default)).IsNone);
        Assert.IsType<PullOutcome.Missing>(await remote.PullAsync(key, b, default));
        var pushed = await remote.PushEntryAsync(key, a, default);
        Assert.Equal((3, 0, true), (pushed.FilesUploaded, pushed.FilesSkipped, pushed.ManifestWritten));
        Assert.Equal(m.ToJson(), (await remote.FindAsync(key, default)).Match(x => x, () => throw new Xunit.Sdk.XunitException("not found after push")).ToJson());

        var pulled = Assert.IsType<PullOutcome.Pulled>(await remote.PullAsync(key, b, default));
        Assert.Equal(m.Files.Sum(f => f.Bytes), pulled.Bytes);
        foreach (var name in m.Files.Select(f => f.Name).Append(Manifest.FileName))
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(a.EntryPath(key), name)), await File.ReadAllBytesAsync(Path.Combine(b.EntryPath(key), name)));
        Assert.Empty(b.Verify(key));
        Assert.Empty(Directory.EnumerateFileSystemEntries(b.TmpDir));

        // Pushing again moves nothing but keeps the manifest; pulling again is a no-op.
        var again = await remote.PushEntryAsync(key, a, default);
        Assert.Equal((0, 3, false), (again.FilesUploaded, again.FilesSkipped, again.ManifestWritten));
        Assert.Equal(0, Assert.IsType<PullOutcome.Pulled>(await remote.PullAsync(key, b, default)).Bytes);
    }

    [S3rverFact]
    public async Task A_corrupted_object_is_rejected_the_local_store_untouched_and_the_object_deleted()
    {
        var a = new ArtifactStore(_dir.File("a"));
        var b = new ArtifactStore(_dir.File("b"));
        var key = NewKey();
        var m = await MakeEntry(a, key);
        var url = server.NewUrl();
        using var remote = Open(server, url);
        await remote.PushAsync(key, a, default);

        var big = m.Files.Single(f => f.Name == "sub/big.bin");
        var obj = server.ObjectFile($"{remote.Location.Prefix}/files/{big.Xxh128}");
        var bytes = await File.ReadAllBytesAsync(obj);
        bytes[bytes.Length / 2] ^= 0x40; // same size, wrong content
        await File.WriteAllBytesAsync(obj, bytes);

        var rejected = Assert.IsType<PullOutcome.Rejected>(await remote.PullAsync(key, b, default));
        Assert.Contains("content hash", rejected.Why);
        Assert.False(Directory.Exists(b.EntryPath(key)));
        Assert.True(b.Lookup(key).IsNone);
        Assert.Empty(Directory.EnumerateFileSystemEntries(b.TmpDir));
        Assert.False(File.Exists(obj), "the bad object should have been deleted from the shared store");

        // Pushing again restores it (it is missing now), and the next pull is whole.
        var fix = await remote.PushEntryAsync(key, a, default);
        Assert.Equal(1, fix.FilesUploaded);
        Assert.IsType<PullOutcome.Pulled>(await remote.PullAsync(key, b, default));
        Assert.Empty(b.Verify(key));
    }

    [S3rverFact]
    public async Task A_truncated_object_is_rejected_and_a_push_replaces_it_because_its_size_differs()
    {
        var a = new ArtifactStore(_dir.File("a"));
        var b = new ArtifactStore(_dir.File("b"));
        var key = NewKey();
        var m = await MakeEntry(a, key);
        using var remote = Open(server, server.NewUrl());
        await remote.PushAsync(key, a, default);

        var big = m.Files.Single(f => f.Name == "sub/big.bin");
        var obj = server.ObjectFile($"{remote.Location.Prefix}/files/{big.Xxh128}");
        await using (var fs = new FileStream(obj, FileMode.Open)) fs.SetLength(1000);
        // The same bytes kept elsewhere, so the push (not the pull) has to be the one that repairs it.
        var kept = obj + ".kept";
        File.Copy(obj, kept);

        var rejected = Assert.IsType<PullOutcome.Rejected>(await remote.PullAsync(key, b, default));
        Assert.Contains($"has 1000 bytes, its manifest says {big.Bytes}", rejected.Why);
        Assert.True(b.Lookup(key).IsNone);

        File.Copy(kept, obj); // put the partial object back: a push must not skip it
        var fix = await remote.PushEntryAsync(key, a, default);
        Assert.Equal(1, fix.FilesUploaded);
        Assert.Equal(big.Bytes, new FileInfo(obj).Length);
        Assert.IsType<PullOutcome.Pulled>(await remote.PullAsync(key, b, default));
        Assert.Empty(b.Verify(key));
    }

    [S3rverFact]
    public async Task A_manifest_that_is_not_one_is_rejected_and_a_forgotten_entry_is_missing()
    {
        var a = new ArtifactStore(_dir.File("a"));
        var b = new ArtifactStore(_dir.File("b"));
        var key = NewKey();
        await MakeEntry(a, key);
        using var remote = Open(server, server.NewUrl());
        await remote.PushAsync(key, a, default);

        var obj = server.ObjectFile($"{remote.Location.Prefix}/entries/{key}/manifest.json");
        var text = await File.ReadAllTextAsync(obj);
        // Same length, not JSON: s3rver serves the length it recorded, so a shorter file would also break the HTTP exchange itself.
        await File.WriteAllTextAsync(obj, new string('x', text.Length));
        Assert.Contains("unreadable manifest", Assert.IsType<PullOutcome.Rejected>(await remote.PullAsync(key, b, default)).Why);
        Assert.True((await remote.FindAsync(key, default)).IsNone);

        await remote.PushAsync(key, a, default); // replaces the broken manifest
        Assert.True((await remote.FindAsync(key, default)).IsSome);
        await remote.ForgetAsync(key, default);
        Assert.IsType<PullOutcome.Missing>(await remote.PullAsync(key, b, default));
    }

    [S3rverFact]
    public async Task Input_files_go_up_and_come_down_by_hash_and_a_wrong_one_does_not()
    {
        var src = _dir.File("input.csv");
        await File.WriteAllTextAsync(src, "a,b\n1,2\n");
        var hash = ContentHash.OfFile(src);
        using var remote = Open(server, server.NewUrl());

        Assert.False(await remote.PullFileAsync(hash, _dir.File("nope.csv"), default));
        await Assert.ThrowsAsync<InvalidDataException>(() => remote.PushFileAsync(src, new string('0', 32), default));
        await remote.PushFileAsync(src, hash, default);
        Assert.True(await remote.PullFileAsync(hash, _dir.File("copy/input.csv"), default));
        Assert.Equal(await File.ReadAllTextAsync(src), await File.ReadAllTextAsync(_dir.File("copy/input.csv")));

        var obj = server.ObjectFile($"{remote.Location.Prefix}/files/{hash}");
        await File.WriteAllTextAsync(obj, "a,b\n1,3\n");
        Assert.False(await remote.PullFileAsync(hash, _dir.File("bad.csv"), default));
        Assert.False(File.Exists(_dir.File("bad.csv")));
        Assert.False(File.Exists(obj));
    }

    [Fact]
    public async Task An_unreachable_server_is_an_error_naming_the_shared_store()
    {
        using var remote = S3RemoteStore.Open(RemoteUrl.Parse("s3://nowhere/x").Match(u => u, w => throw new ArgumentException(w)),
            new S3Settings("http://127.0.0.1:9", "us-east-1", "k", "s"));
        var e = await Assert.ThrowsAsync<RemoteStoreException>(() => remote.FindAsync(NewKey(), default));
        Assert.Contains("s3://nowhere/x", e.Message);
    }
}
