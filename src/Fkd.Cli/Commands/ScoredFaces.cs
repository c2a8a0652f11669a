using Fkd.Flow.Keys;
using Fkd.Flow.Store;
using Fkd.Stages.Evaluate;
using Fkd.Stages.Faces;

namespace Fkd.Cli.Commands;

/// <summary>A predictions or evaluate entry's faces, each scored against the labelled faces the predictions were made for (for <c>show</c> and <c>ui</c>).</summary>
public static class ScoredFaces
{
    /// <param name="truthTable">The labelled face table to score against; null: the entry's own <c>faces</c> or <c>truth</c> input.</param>
    public static async Task<(IReadOnlyList<FaceError> Ranked, Dictionary<long, float[]> Predictions, string TruthFile)> LoadAsync(
        ArtifactStore store, Manifest m, string? truthTable, bool worstFirst, CancellationToken ct)
    {
        var predFile = m.Files.Any(f => f.Name == "predictions.parquet")
            ? Path.Combine(store.EntryPath(m.Key), "predictions.parquet")
            : InputFile(store, m, "predictions") ?? throw new UsageException($"entry {m.Key[..12]} ({m.Stage}) has no predictions to score");
        var truthFile = truthTable ?? InputFile(store, m, "faces") ?? InputFile(store, m, "truth")
            ?? throw new UsageException($"entry {m.Key[..12]} ({m.Stage}) does not say which labelled faces its predictions are of: give --truth ENTRY");
        var predictions = new Dictionary<long, float[]>();
        foreach (var p in await PredictionTable.ReadAsync(predFile, ct)) predictions.TryAdd(p.Id, p.Coords);
        return (FaceErrors.Rank(await FaceTable.ReadAsync(truthFile, ct), predictions, worstFirst), predictions, truthFile);
    }

    /// <summary>Whether an entry holds predictions to score (its own, or an evaluate stage's input).</summary>
    public static bool IsScored(Manifest m) => m.Files.Any(f => f.Name == "predictions.parquet") || m.Material.Kind == "evaluate";

    /// <summary>The stored file an entry read as input <paramref name="name"/> (its key material says <c>KEY/file</c>), or null.</summary>
    public static string? InputFile(ArtifactStore store, Manifest m, string name)
    {
        if (!m.Material.Inputs.TryGetValue(name, out var key)) return null;
        if (KeyMaterial.EntryRefs(key).ToList() is not [(var entry, { } file)]) return null;
        var path = Path.Combine(store.EntryPath(entry), file);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} (input {name} of {m.Stage}) is not in the store any more (try 'verify' or rerun)");
    }
}
