using Fkd.Flow.Store;

namespace Fkd.Flow.Remote;

/// <summary>What pulling one entry from a shared store came to.</summary>
public abstract record PullOutcome
{
    /// <summary>Every file arrived and matched the manifest's hashes; the entry is now committed in the local store.</summary>
    public sealed record Pulled(Manifest Manifest, long Bytes) : PullOutcome;

    /// <summary>The shared store has no committed entry (no manifest) for the key.</summary>
    public sealed record Missing : PullOutcome;

    /// <summary>The shared store's entry is there but unusable (an object missing, partial or of the wrong content): a miss, never an input.</summary>
    public sealed record Rejected(string Why) : PullOutcome;
}

/// <summary>
/// A store shared by several machines, in front of which the local <see cref="ArtifactStore"/> is the
/// cache. Entries are immutable and content-addressed like the local ones: files are stored by their
/// content hash, an entry's manifest last (the manifest is its commit), and every download is checked
/// against the manifest's hashes.
/// </summary>
public interface IRemoteStore : IDisposable
{
    /// <summary>Where it is, as the user wrote it (e.g. <c>s3://bucket/prefix</c>).</summary>
    string Url { get; }

    /// <summary>The committed entry's manifest, or None when the shared store lacks the key.</summary>
    Task<LanguageExt.Option<Manifest>> FindAsync(string key, CancellationToken ct);

    /// <summary>
    /// Downloads a committed entry into the local store (atomically, verified). A no-op Pulled when already local and sound.
    /// The caller should hold the key's <see cref="EntryClaim"/> in <paramref name="local"/> (as the executor and <c>pull</c> do),
    /// so the store's clean-up of tmp/ leaves the download alone; without it a concurrent clean-up can only make the pull fail.
    /// Failures to reach the shared store are thrown (S3RemoteStore: <c>RemoteStoreException</c>); callers treat them as a miss.
    /// </summary>
    Task<PullOutcome> PullAsync(string key, ArtifactStore local, CancellationToken ct);

    /// <summary>
    /// Uploads a local committed entry: its files by content hash (those already there with the right size are skipped), its
    /// manifest last. Safe to run for one key from several processes at once: each writes whole objects, files before manifest.
    /// </summary>
    Task PushAsync(string key, ArtifactStore local, CancellationToken ct);

    /// <summary>Uploads one input file of a pipeline under its content hash, so a machine without the file can read it.</summary>
    Task PushFileAsync(string path, string hash, CancellationToken ct);

    /// <summary>Downloads an input file by content hash to <paramref name="destination"/> (atomically, verified); false when absent or wrong.</summary>
    Task<bool> PullFileAsync(string hash, string destination, CancellationToken ct);

    /// <summary>Forgets a committed entry (its manifest), e.g. one found damaged, so that it is computed again.</summary>
    Task ForgetAsync(string key, CancellationToken ct);
}
