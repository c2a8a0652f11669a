using System.Collections.Immutable;
using Fkd.Flow.Exec;
using Fkd.Flow.Runs;
using Fkd.Flow.Store;
using Parquet;

namespace Fkd.Cli.Reporting;

/// <summary>One stage of a run as the report shows it. RunSeconds: this run's time (near 0 when cached);
/// ComputeSeconds: what making the entry took, whenever that was (null when the entry is gone).</summary>
public sealed record StageReport(
    string Name, string Kind, string Key, StageStatus Status, long Rows, double RunSeconds, double? ComputeSeconds,
    ImmutableSortedDictionary<string, string> Facts, ImmutableArray<string> Files, string? Error)
{
    /// <summary>The status as the report prints it: cached, computed, failed, cancelled.</summary>
    public string StatusText => Status.ToString().ToLowerInvariant();
}

/// <summary>An RMSE table (<c>rmse.parquet</c>: keypoint, rmse, n; the <c>overall</c> row is the score).</summary>
public sealed record ScoreReport(string Stage, double Rmse, long Coordinates, ImmutableArray<KeypointScore> PerKeypoint);

public sealed record KeypointScore(string Keypoint, double Rmse, long Count);

/// <summary>
/// What a run did and what it measured, gathered from the run record and the manifests and small
/// tables of its entries: every stage (status, time, rows, outcome facts), every RMSE table, and
/// the training stages' loss plots. Reads the store; changes nothing.
/// </summary>
public sealed record RunReport(RunRecord Run, ArtifactStore Store, ImmutableArray<StageReport> Stages, ImmutableArray<ScoreReport> Scores)
{
    public const string ScoreFile = "rmse.parquet";
    public const string LossPlotFile = "loss.png";

    public static async Task<RunReport> LoadAsync(ArtifactStore store, RunRecord run, CancellationToken ct)
    {
        var stages = ImmutableArray.CreateBuilder<StageReport>();
        var scores = ImmutableArray.CreateBuilder<ScoreReport>();
        foreach (var s in run.Stages)
        {
            var manifest = s.Key.Length == 0 ? null : store.EntryManifest(s.Key).Match(m => m, () => (Manifest?)null);
            stages.Add(new StageReport(s.Name, s.Kind, s.Key, s.Status, s.Rows, s.Seconds, manifest?.Seconds,
                manifest?.Facts ?? ImmutableSortedDictionary<string, string>.Empty,
                manifest is null ? [] : [.. manifest.Files.Select(f => f.Name)], s.Error));
            if (manifest is not null && manifest.Files.Any(f => f.Name == ScoreFile))
                scores.Add(await ReadScoreAsync(s.Name, Path.Combine(store.EntryPath(s.Key), ScoreFile), ct));
        }
        return new RunReport(run, store, stages.ToImmutable(), scores.ToImmutable());
    }

    /// <summary>The path of a file of a stage's entry (whether or not it exists).</summary>
    public string EntryFile(StageReport s, string name) => Path.Combine(Store.EntryPath(s.Key), name);

    /// <summary>Scores best first.</summary>
    public IEnumerable<ScoreReport> Ranked => Scores.OrderBy(s => double.IsNaN(s.Rmse) ? double.MaxValue : s.Rmse);

    public static async Task<ScoreReport> ReadScoreAsync(string stage, string path, CancellationToken ct)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        var fields = reader.Schema.GetDataFields();
        Parquet.Schema.DataField Field(string name) =>
            fields.FirstOrDefault(x => x.Name == name) ?? throw new InvalidDataException($"{path}: no column '{name}'");
        var per = ImmutableArray.CreateBuilder<KeypointScore>();
        var (overall, total) = (double.NaN, 0L);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var n = (int)rg.RowCount;
            var names = await RequiredColumns.ReadStringsAsync(rg, Field("keypoint"), path, reader, g, ct);
            var rmse = new double[n]; await rg.ReadAsync(Field("rmse"), rmse.AsMemory(), null, ct);
            var counts = new long[n]; await rg.ReadAsync(Field("n"), counts.AsMemory(), null, ct);
            for (var i = 0; i < n; i++)
                if (names[i] == "overall") (overall, total) = (rmse[i], counts[i]);
                else per.Add(new KeypointScore(names[i], rmse[i], counts[i]));
        }
        return new ScoreReport(stage, overall, total, per.ToImmutable());
    }
}
