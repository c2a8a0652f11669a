using Fkd.Flow.Exec;
using Fkd.Flow.Runs;
using Fkd.Flow.Store;
using Fkd.Stages.Torch;

namespace Fkd.Cli.Commands;

/// <summary>A run's trained model: the stage that made it, its entry and files.</summary>
public sealed record RunModel(RunRecord Run, string Stage, string Key, string ModelFile, ModelInfo Info);

/// <summary>Finds the model of a run: the stage whose kind is <c>train</c> (or the one named, when there are several).</summary>
public static class ModelLoader
{
    public static RunModel Load(ArtifactStore store, string runId, string? stageName)
    {
        var run = RunRecord.Find(store, runId)
            ?? throw new UsageException(runId == "latest" ? $"no runs in {store.Root}" : $"no run '{runId}' in {store.Root} (see 'ls runs')");
        var trains = run.Stages.Where(s => s.Kind == "train").ToList();
        StageResult stage;
        if (stageName is not null)
        {
            stage = run.Stages.FirstOrDefault(s => s.Name == stageName) ?? throw new UsageException($"run {run.Id} has no stage '{stageName}'");
            if (stage.Kind != "train") throw new UsageException($"stage '{stageName}' of run {run.Id} is a {stage.Kind} stage, not train");
        }
        else
            stage = trains.Count switch
            {
                0 => throw new UsageException($"run {run.Id} ({run.Pipeline}) has no train stage"),
                1 => trains[0],
                _ => throw new UsageException($"run {run.Id} has several train stages ({string.Join(", ", trains.Select(t => t.Name))}); pick one with --stage"),
            };
        var dir = store.EntryPath(stage.Key);
        var bin = Path.Combine(dir, "model.bin");
        var json = Path.Combine(dir, "model.json");
        if (!File.Exists(bin) || !File.Exists(json))
            throw new InvalidOperationException($"stage {stage.Name} of run {run.Id} has no model in the store (entry {stage.Key[..12]}; status {stage.Status})");
        return new RunModel(run, stage.Name, stage.Key, bin, ModelInfo.Read(json));
    }
}
