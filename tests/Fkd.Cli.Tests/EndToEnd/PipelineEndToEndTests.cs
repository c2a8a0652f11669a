using Fkd.Flow.Exec;
using Fkd.Flow.Spec;
using Fkd.Flow.Store;
using Fkd.Stages.Faces;

namespace Fkd.Cli.Tests.EndToEnd;

/// <summary>
/// The whole face pipeline (pipelines/full.json, made tiny with --set) in a temporary store:
/// everything computes once, a rerun is all cached, an augmentation change reruns augment and
/// what follows it only, and setting it back reruns nothing.
/// </summary>
public sealed class PipelineEndToEndTests : IDisposable
{
    private static readonly string[] Tiny =
    [
        "faces.train_rows=160", "faces.test_rows=12", "faces.duplicate_groups=4", "faces.wrong_labels=2",
        "train.epochs=1", "train.batch_size=32", "train.threads=2",
    ];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fkd-e2e-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static string RepoFile(string relative) =>
        Path.Combine(RepoPaths.Root ?? throw new InvalidOperationException("repo root not found"), relative);

    private async Task<(RunResult Result, Plan Plan)> Run(ArtifactStore store, params string[] extra)
    {
        var registry = StageKinds.Create();
        var spec = PipelineLoader.Load(RepoFile("pipelines/full.json"), [.. Tiny, .. extra], registry);
        Assert.True(spec.IsSuccess, string.Join("\n", spec.FailToSeq()));
        var hashes = FileHashCache.Load(Path.Combine(store.Root, "file-hashes.json"));
        var plan = Plan.Make(spec.SuccessToSeq().Head(), registry, store, hashes, new HashSet<string>()).SuccessToSeq().Head();
        var result = await new Executor(store, hashes, Serilog.Core.Logger.None, NullObserver.Instance, TimeProvider.System)
            .RunAsync(plan, 2, CancellationToken.None);
        Assert.True(result.Ok, result.Error);
        return (result, plan);
    }

    private static string Computed(RunResult r) =>
        string.Join(",", r.Stages.Where(s => s.Status == StageStatus.Computed).Select(s => s.Name));

    [Fact]
    public async Task Runs_end_to_end_then_reuses_then_reruns_only_what_a_change_touches()
    {
        var store = new ArtifactStore(Path.Combine(_dir, "artifacts"));

        var (first, plan) = await Run(store);
        Assert.All(first.Stages, s => Assert.Equal(StageStatus.Computed, s.Status));

        // The products a user looks for.
        var submission = File.ReadAllLines(Path.Combine(store.EntryPath(plan["submission"].Key), "submission.csv"));
        var lookup = File.ReadAllLines(Path.Combine(store.EntryPath(plan["faces"].Key), "IdLookupTable.csv"));
        Assert.Equal("RowId,Location", submission[0]);
        Assert.Equal(lookup.Length, submission.Length);
        // Each RowId holds its own image's prediction of its own feature (clipped to the image, 4 decimals).
        var predicted = (await PredictionTable.ReadAsync(Path.Combine(store.EntryPath(plan["predict_test"].Key), "predictions.parquet")))
            .ToDictionary(p => p.Id, p => p.Coords);
        var wanted = lookup.Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => (Image: long.Parse(f[1]), Feature: f[2]));
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        Assert.All(submission.Skip(1).Select(l => l.Split(',')), f =>
        {
            var (image, feature) = wanted[f[0]];
            var expected = Math.Clamp(predicted[image][Keypoints.Columns.IndexOf(feature)], 0f, 96f);
            Assert.Equal(expected, float.Parse(f[1], inv), tolerance: 1e-4); // written with 4 decimals
        });
        Assert.True(predicted.Values.Select(c => c[0]).Distinct().Count() > 1, "faces that all get the same prediction would not test the mapping");
        Assert.True(File.Exists(Path.Combine(store.EntryPath(plan["evaluate"].Key), "rmse.parquet")));

        // show on a predictions entry draws the worst faces, scored against the faces it predicted.
        var png = Path.Combine(_dir, "worst.png");
        var shown = CliProcess.Run(null, "show", plan["predict_val"].Key[..12], "--store", store.Root, "--worst", "4", "--out", png, "--json");
        Assert.True(shown.Exit == 0, shown.Tail);
        var faces = System.Text.Json.Nodes.JsonNode.Parse(shown.Stdout)!["faces"]!.AsArray().Select(f => (double)f!["rmse"]!).ToList();
        Assert.Equal(4, faces.Count);
        Assert.Equal(faces.OrderDescending(), faces);
        Assert.True(new FileInfo(png).Length > 0);

        // Dedup and label fixes find what the generator planted.
        var dedup = store.Lookup(plan["dedup"].Key).Match(m => m, () => throw new Exception("dedup entry missing"));
        Assert.Equal("4", dedup.Facts["duplicate_groups"]);
        var fixes = store.Lookup(plan["labelfix"].Key).Match(m => m, () => throw new Exception("labelfix entry missing"));
        Assert.Equal("2", fixes.Facts["dropped"]); // the two blank images, through the generator's drop list
        Assert.True(int.Parse(fixes.Facts["fixed_keypoints"]) >= 2);

        // Other tools read the tables: DuckDB sees every distinct image the parse stage wrote.
        using (var conn = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:"))
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = $"select count(*), count(distinct image_hash) from read_parquet('{Path.Combine(store.EntryPath(plan["train_rows"].Key), "faces.parquet")}')";
            using var reader = cmd.ExecuteReader();
            Assert.True(reader.Read());
            Assert.Equal(160L, Convert.ToInt64(reader.GetValue(0)));
            Assert.Equal(dedup.Rows, Convert.ToInt64(reader.GetValue(1)));
        }

        // The report gathers the run's stages, its RMSE table and the training's loss plot.
        var record = new Fkd.Flow.Runs.RunRecord("20261123-000000-test", "full", "pipelines/full.json", [.. Tiny],
            DateTimeOffset.UnixEpoch, 1, true, null, first.Stages);
        var report = await Fkd.Cli.Reporting.RunReport.LoadAsync(store, record, CancellationToken.None);
        Assert.Equal(plan.Stages.Length, report.Stages.Length);
        var score = Assert.Single(report.Scores);
        Assert.Equal("evaluate", score.Stage);
        var evaluated = store.Lookup(plan["evaluate"].Key).Match(m => m, () => throw new Exception("evaluate entry missing"));
        Assert.Equal(double.Parse(evaluated.Facts["rmse"], System.Globalization.CultureInfo.InvariantCulture), score.Rmse, 4);
        Assert.Equal(15, score.PerKeypoint.Length);
        var text = new StringWriter();
        Fkd.Cli.Commands.ReportCommand.WriteText(report, text);
        Assert.All(plan.Stages, st => Assert.Contains(st.Name, text.ToString()));
        var html = Fkd.Cli.Reporting.ReportHtml.Render(report);
        Assert.Contains("data:image/png;base64,", html);
        Assert.Contains(">evaluate<", html);
        var json = Fkd.Cli.Commands.ReportCommand.ToJson(report);
        Assert.Equal("evaluate", (string?)json["scores"]![0]!["stage"]);
        Assert.Equal(plan.Stages.Length, (int?)json["computed"]);

        var second = (await Run(store)).Result;
        Assert.All(second.Stages, s => Assert.Equal(StageStatus.Cached, s.Status));

        var changed = (await Run(store, "augment.rotations=[-5, 5]")).Result;
        Assert.Equal("augment,train,predict_val,evaluate,predict_test,submission", Computed(changed));

        var back = (await Run(store)).Result;
        Assert.All(back.Stages, s => Assert.Equal(StageStatus.Cached, s.Status));
    }

    [Fact]
    public async Task The_run_command_reports_validation_errors_with_exit_code_2()
    {
        var code = await Fkd.Cli.Commands.RunCommand.RunAsync(new ArtifactStore(Path.Combine(_dir, "artifacts")),
            RepoFile("pipelines/full.json"), ["train.epochs=zero", "augment.colour=1"], [], dryRun: false, jobs: 2, json: false, CancellationToken.None);
        Assert.Equal(ExitCodes.Usage, code);
    }
}
