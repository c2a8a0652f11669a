using System.IO.Hashing;
using System.Net;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Fkd.Flow.Store;
using LanguageExt;
using Serilog;
using static LanguageExt.Prelude;

namespace Fkd.Flow.Remote;

/// <summary>A shared store that could not be reached or answered with an error (not a plain "not there"): a miss for a pull, a failure for a push.</summary>
public sealed class RemoteStoreException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>What pushing one entry did.</summary>
public sealed record PushReport(string Key, int FilesUploaded, int FilesSkipped, long BytesUploaded, bool ManifestWritten);

/// <summary>
/// The shared store on any S3 server (AWS, MinIO, Ceph RGW, s3rver). Layout under the URL's prefix:
/// <c>files/XXH128</c> (file contents by their hash, entries' files and pipeline inputs alike) and
/// <c>entries/KEY/manifest.json</c>, written after every file it lists, so a manifest that is there is a
/// committed entry. Objects are written whole (one PUT each) and never changed in place; concurrent
/// writers of one key write the same content, so any number of processes and machines may share it.
/// </summary>
public sealed class S3RemoteStore : IRemoteStore
{
    private const long MaxManifestBytes = 64L << 20;
    private const int CopyBuffer = 1 << 20;

    private readonly IAmazonS3 _s3;
    private readonly RemoteUrl _url;
    private readonly ILogger _log;
    private readonly bool _unsignedPayload;

    public string Url => _url.ToString();

    public RemoteUrl Location => _url;

    public S3RemoteStore(RemoteUrl url, IAmazonS3 client, ILogger? log = null, bool unsignedPayload = false)
    {
        (_url, _s3, _log, _unsignedPayload) = (url, client, log ?? Serilog.Core.Logger.None, unsignedPayload);
    }

    /// <summary>A client for <paramref name="url"/> set up so that servers other than AWS accept it (see <see cref="Config"/>).</summary>
    public static S3RemoteStore Open(RemoteUrl url, S3Settings settings, ILogger? log = null)
    {
        var config = Config(settings);
        var client = settings is { AccessKey: { } id, SecretKey: { } secret }
            ? new AmazonS3Client(new BasicAWSCredentials(id, secret), config)
            : new AmazonS3Client(config); // the SDK's chain: environment variables, profile, instance role
        // Over TLS the payload is protected already, so it is not hashed a second time for the signature.
        var https = settings.Endpoint is null || settings.Endpoint.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        return new S3RemoteStore(url, client, log, unsignedPayload: https);
    }

    /// <summary>
    /// Path-style addressing (bucket in the path, not the host name: no wildcard DNS needed), and checksums
    /// only where an operation requires them: SDK v4's default CRC checksums and aws-chunked trailers are
    /// refused by s3rver and older MinIO, and every download is checked against the manifest's hash anyway.
    /// </summary>
    public static AmazonS3Config Config(S3Settings settings)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (settings.Endpoint is { } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                throw new ArgumentException($"S3 endpoint {System.Text.Json.JsonSerializer.Serialize(endpoint)} is not an http:// or https:// URL");
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = settings.Region ?? "us-east-1";
        }
        else if (settings.Region is { } region)
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        return config;
    }

    private string FileObject(string hash) => _url.ObjectKey($"files/{hash}");
    private string ManifestObject(string key) => _url.ObjectKey($"entries/{key}/{Manifest.FileName}");
    private string Where(string objectKey) => $"{RemoteUrl.Scheme}{_url.Bucket}/{objectKey}";

    public static bool IsHash(string? h) => h is { Length: 32 } && h.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    // ---- entries ----

    public async Task<Option<Manifest>> FindAsync(string key, CancellationToken ct) =>
        (await ReadManifestAsync(key, ct)).Bind(e => e.ToOption());

    /// <summary>
    /// The caller holds the key's claim in <paramref name="local"/> (<see cref="EntryClaim"/>), as the executor
    /// does, so the local store's clean-up leaves the download folder alone.
    /// </summary>
    public async Task<PullOutcome> PullAsync(string key, ArtifactStore local, CancellationToken ct)
    {
        if (local.Lookup(key).Case is Manifest here) return new PullOutcome.Pulled(here, 0);
        if ((await ReadManifestTextAsync(key, ct)).Case is not Either<string, string> found) return new PullOutcome.Missing();
        var parsed = found.Bind(json => Manifest.Parse(json, key).Map(m => (Json: json, Manifest: m)));
        if (parsed.Case is string bad)
            return new PullOutcome.Rejected($"its manifest {Where(ManifestObject(key))} is unusable: {bad}");
        var (json, manifest) = ((string, Manifest))parsed.Case!;

        var tmp = local.BeginEntry(key);
        try
        {
            long bytes = 0;
            foreach (var f in manifest.Files)
            {
                if (!IsHash(f.Xxh128))
                    return Reject(tmp, $"its manifest lists file {f.Name} with a malformed hash");
                var dest = InsideFolder(tmp, f.Name);
                if (dest is null) return Reject(tmp, $"its manifest lists a file outside the entry ({System.Text.Json.JsonSerializer.Serialize(f.Name)})");
                var got = await DownloadAsync(FileObject(f.Xxh128), dest, f.Bytes, ct);
                string? why = got switch
                {
                    null => $"file {f.Name} ({Where(FileObject(f.Xxh128))}) is missing",
                    var (n, _) when n > f.Bytes => $"file {f.Name} ({Where(FileObject(f.Xxh128))}) is longer than the {f.Bytes} bytes its manifest says",
                    var (n, _) when n < f.Bytes => $"file {f.Name} ({Where(FileObject(f.Xxh128))}) has {n} bytes, its manifest says {f.Bytes}",
                    var (_, h) when h != f.Xxh128 => $"file {f.Name} ({Where(FileObject(f.Xxh128))}) has content hash {h[..12]}…, its manifest says {f.Xxh128[..12]}…",
                    _ => null,
                };
                if (why is not null)
                {
                    // Content-addressed: an object that does not hash to its name is wrong for every entry, so it goes,
                    // and the next push of any entry holding that content uploads it again.
                    if (got is not null) await DeleteQuietlyAsync(FileObject(f.Xxh128), why);
                    return Reject(tmp, why);
                }
                bytes += f.Bytes;
            }
            var committed = local.CommitPulled(tmp, key, json);
            _log.Information("Pulled {Key} ({Stage}) from {Remote}: {Files} files, {Bytes} bytes", key[..12], manifest.Stage, Url, manifest.Files.Length, bytes);
            return new PullOutcome.Pulled(committed, bytes);
        }
        catch
        {
            local.Abandon(tmp);
            throw;
        }

        PullOutcome Reject(string dir, string why)
        {
            local.Abandon(dir);
            _log.Debug("Not using {Key} from {Remote}: {Why}", key[..12], Url, why); // the caller says what it does instead
            return new PullOutcome.Rejected(why);
        }
    }

    public async Task PushAsync(string key, ArtifactStore local, CancellationToken ct) => await PushEntryAsync(key, local, ct);

    /// <summary>
    /// <see cref="PushAsync"/>, saying what moved. A file is uploaded unless an object of its hash and size is there
    /// already (one of another size is partial and replaced); each one uploaded is re-hashed first, so a damaged
    /// local file is never shared. The manifest goes last, and is left alone when the remote has this entry already.
    /// </summary>
    public async Task<PushReport> PushEntryAsync(string key, ArtifactStore local, CancellationToken ct)
    {
        if (local.Lookup(key).Case is not Manifest m)
            throw new InvalidOperationException($"entry {key[..Math.Min(12, key.Length)]} is not committed in the local store {local.Root}");
        var dir = local.EntryPath(key);
        var manifestJson = await File.ReadAllTextAsync(Path.Combine(dir, Manifest.FileName), ct);
        int uploaded = 0, skipped = 0;
        long bytes = 0;
        await Parallel.ForEachAsync(m.Files.DistinctBy(f => f.Xxh128), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (f, c) =>
        {
            var path = Path.Combine(dir, f.Name);
            if (await SizeAsync(FileObject(f.Xxh128), c) == f.Bytes) { Interlocked.Increment(ref skipped); return; }
            var h = ContentHash.OfFile(path);
            if (h != f.Xxh128)
                throw new InvalidDataException($"entry {key[..12]}: local file {f.Name} has content hash {h[..12]}…, its manifest says {f.Xxh128[..12]}… (run verify); not pushed");
            await PutFileAsync(FileObject(f.Xxh128), path, c);
            Interlocked.Increment(ref uploaded);
            Interlocked.Add(ref bytes, f.Bytes);
        });
        skipped += m.Files.Length - m.Files.DistinctBy(f => f.Xxh128).Count();

        // An entry committed there already with the very same files (by whoever pushed it first) is as good as ours:
        // it stays, so every reader sees one manifest. Any other (unreadable, or listing other content) is replaced.
        var there = uploaded == 0 && (await ReadManifestAsync(key, ct)).Case is Either<string, Manifest> remote
            && remote.Case is Manifest rm && rm.Files.SequenceEqual(m.Files);
        if (!there) await PutTextAsync(ManifestObject(key), manifestJson, ct);
        _log.Information("Pushed {Key} ({Stage}) to {Remote}: {Uploaded} files uploaded ({Bytes} bytes), {Skipped} already there",
            key[..12], m.Stage, Url, uploaded, bytes, skipped);
        return new PushReport(key, uploaded, skipped, bytes, !there);
    }

    public async Task ForgetAsync(string key, CancellationToken ct)
    {
        if (!StoreNames.IsKey(key)) throw new ArgumentException($"not an entry key: {key}");
        await Call($"deleting {Where(ManifestObject(key))}", () => _s3.DeleteObjectAsync(_url.Bucket, ManifestObject(key), ct), ct);
    }

    /// <summary>Keys of the entries committed under this URL that start with <paramref name="keyPrefix"/> (at most <paramref name="limit"/>).</summary>
    public async Task<IReadOnlyList<string>> ListKeysAsync(string keyPrefix, int limit, CancellationToken ct)
    {
        var root = _url.ObjectKey("entries/");
        var keys = new List<string>();
        string? token = null;
        do
        {
            var req = new ListObjectsV2Request { BucketName = _url.Bucket, Prefix = root + keyPrefix, Delimiter = "/", ContinuationToken = token };
            var resp = await Call($"listing {Where(root + keyPrefix)}", () => _s3.ListObjectsV2Async(req, ct), ct);
            foreach (var p in resp.CommonPrefixes ?? [])
                if (p.Length > root.Length && p[root.Length..].TrimEnd('/') is var k && StoreNames.IsKey(k)) keys.Add(k);
            token = resp.IsTruncated == true ? resp.NextContinuationToken : null;
        } while (token is not null && keys.Count < limit);
        return keys.Take(limit).ToList();
    }

    // ---- pipeline input files ----

    public async Task PushFileAsync(string path, string hash, CancellationToken ct)
    {
        if (!IsHash(hash)) throw new ArgumentException($"not a content hash: {hash}");
        var length = new FileInfo(path).Length;
        if (await SizeAsync(FileObject(hash), ct) == length) return;
        if (ContentHash.OfFile(path) is var h && h != hash)
            throw new InvalidDataException($"{path} has content hash {h}, expected {hash}; not pushed");
        await PutFileAsync(FileObject(hash), path, ct);
    }

    public async Task<bool> PullFileAsync(string hash, string destination, CancellationToken ct)
    {
        if (!IsHash(hash)) throw new ArgumentException($"not a content hash: {hash}");
        var full = Path.GetFullPath(destination);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            var got = await DownloadAsync(FileObject(hash), tmp, long.MaxValue, ct);
            if (got is null) return false;
            if (got.Value.Hash != hash)
            {
                await DeleteQuietlyAsync(FileObject(hash), $"its content hashes to {got.Value.Hash}");
                return false;
            }
            File.Move(tmp, full, overwrite: true);
            return true;
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public void Dispose() => _s3.Dispose();

    // ---- S3 calls ----

    /// <summary>None when there is no manifest; else its text, or why it cannot be read.</summary>
    private async Task<Option<Either<string, string>>> ReadManifestTextAsync(string key, CancellationToken ct)
    {
        if (!StoreNames.IsKey(key)) throw new ArgumentException($"not an entry key: {key}");
        var obj = ManifestObject(key);
        return await Call($"reading {Where(obj)}", async () =>
        {
            try
            {
                using var resp = await _s3.GetObjectAsync(_url.Bucket, obj, ct);
                if (resp.ContentLength > MaxManifestBytes) return Some(Left<string, string>($"{resp.ContentLength} bytes, more than a manifest has"));
                using var text = new MemoryStream();
                await CopyAsync(resp.ResponseStream, chunk => text.WriteAsync(chunk, ct), MaxManifestBytes, ct);
                return Some(Right<string, string>(Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length)));
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound) { return Option<Either<string, string>>.None; }
        }, ct);
    }

    private async Task<Option<Either<string, Manifest>>> ReadManifestAsync(string key, CancellationToken ct) =>
        (await ReadManifestTextAsync(key, ct)).Map(text => text.Bind(json => Manifest.Parse(json, key)));

    /// <summary>The object's size, or null when it is not there.</summary>
    private Task<long?> SizeAsync(string obj, CancellationToken ct) =>
        Call($"looking up {Where(obj)}", async () =>
        {
            try { return (long?)(await _s3.GetObjectMetadataAsync(_url.Bucket, obj, ct)).ContentLength; }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound) { return null; }
        }, ct);

    /// <summary>
    /// Streams an object into <paramref name="dest"/>, hashing on the way; stops reading once it has more than
    /// <paramref name="expected"/> bytes. Null when the object is not there; else how many bytes came and their hash.
    /// </summary>
    private Task<(long Bytes, string Hash)?> DownloadAsync(string obj, string dest, long expected, CancellationToken ct) =>
        Call($"downloading {Where(obj)}", async () =>
        {
            GetObjectResponse resp;
            try { resp = await _s3.GetObjectAsync(_url.Bucket, obj, ct); }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound) { return ((long, string)?)null; }
            using (resp)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                var hash = new XxHash128();
                await using var output = new FileStream(dest, FileMode.Create, FileAccess.Write, FileShare.None, CopyBuffer, useAsync: true);
                var n = await CopyAsync(resp.ResponseStream, async chunk =>
                {
                    hash.Append(chunk.Span);
                    await output.WriteAsync(chunk, ct);
                }, expected, ct);
                return (n, Convert.ToHexStringLower(hash.GetCurrentHash()));
            }
        }, ct);

    /// <summary>
    /// Copies a response body chunk by chunk into <paramref name="sink"/>, stopping once more than <paramref name="limit"/>
    /// bytes came; returns how many. The SDK's own check of a plain upload's MD5 ETag fails at the end of the
    /// stream when the object was changed on the server: every byte has come by then, and it is the caller's
    /// check (the manifest's hash, or the manifest's own validation) that decides, so it is passed over.
    /// </summary>
    private static async Task<long> CopyAsync(Stream body, Func<ReadOnlyMemory<byte>, ValueTask> sink, long limit, CancellationToken ct)
    {
        var buffer = new byte[CopyBuffer];
        long n = 0;
        while (n <= limit)
        {
            int read;
            try { read = await body.ReadAsync(buffer, ct); }
            catch (AmazonClientException e) when (e.Message.Contains("hash", StringComparison.OrdinalIgnoreCase)) { break; }
            if (read == 0) break;
            await sink(buffer.AsMemory(0, read));
            n += read;
        }
        return n;
    }

    private Task PutFileAsync(string obj, string path, CancellationToken ct) =>
        Call($"uploading {Where(obj)}", () => _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _url.Bucket, Key = obj, FilePath = path, ContentType = "application/octet-stream",
            UseChunkEncoding = false, DisablePayloadSigning = _unsignedPayload ? true : null,
        }, ct), ct);

    private Task PutTextAsync(string obj, string text, CancellationToken ct) =>
        Call($"uploading {Where(obj)}", () => _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _url.Bucket, Key = obj, ContentBody = text, ContentType = "application/json",
            UseChunkEncoding = false, DisablePayloadSigning = _unsignedPayload ? true : null,
        }, ct), ct);

    private async Task DeleteQuietlyAsync(string obj, string why)
    {
        try
        {
            await _s3.DeleteObjectAsync(_url.Bucket, obj);
            _log.Warning("Deleted {Object} from the shared store: {Why}", Where(obj), why);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException)
        {
            _log.Warning("Could not delete the bad object {Object} ({Why}): {Error}", Where(obj), why, e.Message);
        }
    }

    /// <summary>One S3 call; its failures (unreachable, refused, credentials, server errors) become a <see cref="RemoteStoreException"/> naming the remote.</summary>
    private async Task<T> Call<T>(string what, Func<Task<T>> call, CancellationToken ct)
    {
        try { return await call(); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or OperationCanceledException
                                      || e is IOException && e is not RemoteStoreException)
        {
            var detail = e is AmazonServiceException { StatusCode: var code } s && s.ErrorCode is { Length: > 0 } ec ? $"{(int)code} {ec}: {e.Message}" : e.Message;
            var inner = e.InnerException is { } i && !detail.Contains(i.Message, StringComparison.Ordinal) ? $" ({i.Message})" : "";
            throw new RemoteStoreException($"shared store {Url}: {what} failed: {detail}{inner}", e);
        }
    }

    private async Task Call(string what, Func<Task> call, CancellationToken ct) =>
        await Call(what, async () => { await call(); return 0; }, ct);

    /// <summary>The path of a manifest's file name inside <paramref name="dir"/>, or null when the name would leave it.</summary>
    private static string? InsideFolder(string dir, string name)
    {
        if (name.Length == 0 || Path.IsPathRooted(name) || name.Split('/', '\\').Any(s => s is "" or "." or "..") || name == Manifest.FileName) return null;
        var full = Path.GetFullPath(Path.Combine(dir, name));
        return full.StartsWith(Path.GetFullPath(dir).TrimEnd('/') + "/", StringComparison.Ordinal) ? full : null;
    }
}
