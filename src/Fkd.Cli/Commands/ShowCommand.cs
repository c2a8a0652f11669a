using System.CommandLine;
using System.Text.Json.Nodes;
using Fkd.Flow.Store;
using Fkd.Stages.Faces;
using Parquet;
using Fkd.Stages.Drawing;

namespace Fkd.Cli.Commands;

/// <summary>What <see cref="ShowCommand.WriteGridAsync"/> wrote.</summary>
public sealed record ShowResult(string Path, int Rows, int Width, int Height, int Predicted);

/// <summary>
/// <c>show</c>: a PNG grid of the faces in a face table, keypoints drawn (subject's left green, right red,
/// centre yellow; predictions magenta ×), upscaled by nearest neighbour, each tile captioned with id and variant.
/// On a predictions or evaluate entry (or with <c>--worst</c>/<c>--best</c>): the faces predicted worst (or best),
/// truth and prediction drawn, each captioned with its id and error in pixels.
/// </summary>
public static class ShowCommand
{
    public static Command Create()
    {
        var what = new Argument<string>("entry") { Description = "stage name (latest run), run:stage or key prefix of an entry holding a face table" };
        var file = new Option<string?>("--file") { Description = "which .parquet face table of the entry (default: the first)" };
        var rows = new Option<int>("--rows") { Description = "faces to draw, from the start of the table", DefaultValueFactory = _ => 16 };
        var scale = new Option<int>("--scale") { Description = "upscaling factor (nearest neighbour)", DefaultValueFactory = _ => 3 };
        var columns = new Option<int>("--columns") { Description = "tiles per grid row (default: one source per row for augment output, else ⌈√rows⌉ up to 8)" };
        var preds = new Option<string?>("--predictions") { Description = "an entry with predictions.parquet (e.g. predict_val): drawn as red crosses, matched by id" };
        var outPath = new Option<string?>("--out") { Description = "PNG to write (default: <stage>-grid.png in the current directory)" };
        var worst = new Option<int?>("--worst") { Description = "on a predictions or evaluate entry: the N faces predicted worst (default 16)" };
        var best = new Option<int?>("--best") { Description = "on a predictions or evaluate entry: the N faces predicted best" };
        var truth = new Option<string?>("--truth") { Description = "the labelled faces to score predictions against (default: the entry's own faces or truth input)" };
        var json = Common.JsonOption();
        var cmd = new Command("show", "draw a PNG grid of a face table's faces with their keypoints, or of the worst predictions")
            { what, file, rows, scale, columns, preds, outPath, worst, best, truth, json };
        cmd.SetAction(async (pr, ct) =>
        {
            var store = Common.Store(pr);
            var m = EntryResolver.Resolve(store, pr.GetValue(what)!);
            var n = pr.GetValue(rows);
            if (n < 1) throw new UsageException("--rows must be at least 1");
            var s = pr.GetValue(scale);
            if (s is < 1 or > 16) throw new UsageException("--scale must be between 1 and 16");
            if (pr.GetValue(columns) < 0) throw new UsageException("--columns must not be negative");
            if (pr.GetValue(worst) is not null && pr.GetValue(best) is not null) throw new UsageException("--worst and --best: one or the other");
            var scored = ScoredFaces.IsScored(m);
            if (scored || pr.GetValue(worst) is not null || pr.GetValue(best) is not null)
                return await ShowRankedAsync(store, m, pr.GetValue(best) is { } b ? (b, false) : (pr.GetValue(worst) ?? 16, true),
                    pr.GetValue(truth), s, pr.GetValue(columns), pr.GetValue(outPath), pr.GetValue(json), ct);
            var table = await PickFaceTable(store, m, pr.GetValue(file), ct);
            string? predFile = null;
            if (pr.GetValue(preds) is { } pe)
            {
                var pm = EntryResolver.Resolve(store, pe);
                predFile = pm.Files.Any(f => f.Name == "predictions.parquet")
                    ? Path.Combine(store.EntryPath(pm.Key), "predictions.parquet")
                    : throw new UsageException($"entry {pm.Key[..12]} ({pm.Stage}) has no predictions.parquet");
            }
            var fileTag = pr.GetValue(file) is null ? "" : "-" + Path.GetFileNameWithoutExtension(table);
            var target = pr.GetValue(outPath) ?? $"{m.Stage}{fileTag}-grid.png";
            var res = await WriteGridAsync(table, target, n, s, predFile, pr.GetValue(columns), ct);
            if (pr.GetValue(json))
                Common.PrintJson(new JsonObject
                {
                    ["path"] = res.Path, ["rows"] = res.Rows, ["entry"] = m.Key, ["stage"] = m.Stage, ["file"] = Path.GetFileName(table),
                    ["width"] = res.Width, ["height"] = res.Height, ["predicted"] = res.Predicted,
                });
            else
                System.Console.Out.WriteLine(res.Path);
            System.Console.Error.WriteLine($"{res.Rows} faces from {m.Stage}/{Path.GetFileName(table)}, {res.Width}x{res.Height} px" +
                (predFile is null ? "" : $", predictions on {res.Predicted}") + "; keypoints: subject's left green, right red, centre yellow, predicted magenta ×");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// The command's core: reads the first <paramref name="rows"/> faces of <paramref name="faceTable"/>, draws them
    /// (and <paramref name="predictionsFile"/>'s predictions, if given) and writes a PNG to <paramref name="outPath"/>.
    /// </summary>
    public static async Task<ShowResult> WriteGridAsync(string faceTable, string outPath, int rows, int scale = 3,
        string? predictionsFile = null, int columns = 0, CancellationToken ct = default)
    {
        var all = await FaceTable.ReadAsync(faceTable, ct);
        if (all.Length == 0) throw new InvalidDataException($"{Path.GetFileName(faceTable)} has no rows");
        var shown = all.Take(rows).ToList();
        Dictionary<long, float[]>? predictions = null;
        if (predictionsFile is not null)
        {
            predictions = [];
            foreach (var p in await PredictionTable.ReadAsync(predictionsFile, ct)) predictions.TryAdd(p.Id, p.Coords);
        }
        using var bmp = FaceImages.RenderGrid(shown, predictions, scale, columns);
        var dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        FaceImages.SavePng(bmp, outPath);
        var predicted = predictions is null ? 0 : shown.Count(r => r.TagOr("variant", 0) == 0 && predictions.ContainsKey(r.Id));
        return new ShowResult(outPath, shown.Count, bmp.Width, bmp.Height, predicted);
    }

    /// <summary>The worst (or best) predicted faces of a predictions or evaluate entry, scored against the labelled faces it was made for.</summary>
    private static async Task<int> ShowRankedAsync(ArtifactStore store, Manifest m, (int Count, bool Worst) pick, string? truthEntry,
        int scale, int columns, string? outPath, bool json, CancellationToken ct)
    {
        if (pick.Count < 1) throw new UsageException("--worst/--best must be at least 1");
        var truthTable = truthEntry is null ? null : await PickFaceTable(store, EntryResolver.Resolve(store, truthEntry), null, ct);
        var (all, predictions, truthFile) = await ScoredFaces.LoadAsync(store, m, truthTable, pick.Worst, ct);
        var ranked = all.Take(pick.Count).ToList();
        if (ranked.Count == 0) throw new UsageException($"no face of {Path.GetFileName(truthFile)} is both labelled and predicted in {m.Stage}");
        var captions = ranked.ToDictionary(e => e.Face.Id, e => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{e.Face.Id} {e.Rmse:F1}px"));
        var target = outPath ?? $"{m.Stage}-{(pick.Worst ? "worst" : "best")}.png";
        using (var bmp = FaceImages.RenderGrid([.. ranked.Select(e => e.Face)], predictions, scale, columns, captions))
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(target));
            if (dir is not null) Directory.CreateDirectory(dir);
            FaceImages.SavePng(bmp, target);
        }
        if (json)
            Common.PrintJson(new JsonObject
            {
                ["path"] = target, ["entry"] = m.Key, ["stage"] = m.Stage, ["order"] = pick.Worst ? "worst" : "best", ["truth"] = truthFile,
                ["faces"] = new JsonArray([.. ranked.Select(e => (JsonNode)new JsonObject { ["id"] = e.Face.Id, ["rmse"] = Math.Round(e.Rmse, 4), ["coordinates"] = e.Coordinates })]),
            });
        else
            System.Console.Out.WriteLine(target);
        System.Console.Error.WriteLine($"the {ranked.Count} {(pick.Worst ? "worst" : "best")} predicted faces of {m.Stage} ({ranked[0].Rmse:F2} to {ranked[^1].Rmse:F2} px); " +
            "truth: subject's left green, right red, centre yellow; prediction magenta ×");
        return ExitCodes.Ok;
    }

    /// <summary>The entry's face table: <paramref name="file"/> (with or without .parquet), or the first Parquet file with an image column.</summary>
    private static async Task<string> PickFaceTable(ArtifactStore store, Manifest m, string? file, CancellationToken ct)
    {
        var dir = store.EntryPath(m.Key);
        var parquet = m.Files.Where(f => f.Name.EndsWith(".parquet", StringComparison.Ordinal)).Select(f => f.Name).ToList();
        if (file is not null)
        {
            var name = file.EndsWith(".parquet", StringComparison.Ordinal) ? file : file + ".parquet";
            if (!parquet.Contains(name))
                throw new UsageException($"entry {m.Key[..12]} ({m.Stage}) has no {name}; its Parquet files: {(parquet.Count == 0 ? "none" : string.Join(", ", parquet))}");
            if (!await IsFaceTable(Path.Combine(dir, name), ct)) throw new UsageException($"{m.Stage}/{name} is not a face table (no image column)");
            return Path.Combine(dir, name);
        }
        foreach (var name in parquet)
            if (await IsFaceTable(Path.Combine(dir, name), ct)) return Path.Combine(dir, name);
        throw new UsageException($"entry {m.Key[..12]} ({m.Stage}) has no face table (a Parquet file with an image column)");
    }

    private static async Task<bool> IsFaceTable(string path, CancellationToken ct)
    {
        if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing from the store (try 'verify')");
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        return reader.Schema.GetDataFields().Any(f => f.Name == "image");
    }
}
