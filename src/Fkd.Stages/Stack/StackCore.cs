using System.Globalization;

namespace Fkd.Stages.Stack;

/// <summary>
/// What the stack stages share: fitting a stack on out-of-fold predictions (stack, stack-fit), applying one to
/// the base models' predictions on a target set (stack, stack-apply), and the weights table. The stages are shells
/// over these, so `stack` (fit and apply in one) and `stack-fit` followed by `stack-apply` give the same predictions.
/// </summary>
internal static class StackCore
{
    /// <summary>A fitted stack and the facts to report about it (cross-validated penalties, features, out-of-fold rows, RMSEs).</summary>
    public sealed record Fitted(StackModel Model, IReadOnlyList<(string Name, object Value)> Facts);

    /// <summary>
    /// Fits the meta-regressor on the <c>oof</c> list (grouped models × folds in order: the first
    /// <c>oof.Count / models</c> files are model 0's folds, and so on) against the <c>truth</c> table's labels,
    /// choosing alpha by cross-validation over the truth rows' fold tags when <see cref="StackParams.Alphas"/> is given.
    /// The truth table's images are never held (read a row group at a time).
    /// </summary>
    public static async Task<Fitted> FitAsync(StageContext ctx, StackParams o, CancellationToken ct)
    {
        var models = o.Models;
        var features = o.Features;
        var oofFiles = ctx.InputList("oof");
        if (oofFiles.Length % models != 0)
            throw new InvalidDataException($"{oofFiles.Length} oof files do not split into {models} models of equal fold counts");
        var folds = oofFiles.Length / models;

        // Each model's out-of-fold predictions, one per training row across its folds.
        var oof = new List<Dictionary<long, float[]>>();
        for (var m = 0; m < models; m++)
        {
            var byId = new Dictionary<long, float[]>();
            for (var f = 0; f < folds; f++)
                foreach (var p in await PredictionTable.ReadAsync(oofFiles[m * folds + f].Path, ct))
                    if (!byId.TryAdd(p.Id, p.Coords))
                        throw new InvalidDataException($"model {m}: row {p.Id} is predicted by more than one fold");
            oof.Add(byId);
        }
        // The truth table a row group at a time, keeping ids, labels and tags: the images are not needed.
        var truth = new List<FaceRow>();
        await foreach (var group in FaceTable.ReadGroupsAsync(ctx.Input("truth").Path, ct))
            foreach (var t in group)
                if (oof.All(o => o.ContainsKey(t.Id))) truth.Add(t with { Pixels = [] });
        if (truth.Count == 0) throw new InvalidDataException("no truth row has an out-of-fold prediction from every model");

        IReadOnlyList<IReadOnlyList<float[]>> x = [.. truth.Select(t => (IReadOnlyList<float[]>)[.. oof.Select(o => o[t.Id])])];
        IReadOnlyList<float[]> y = [.. truth.Select(t => t.Coords)];
        var alpha = o.Alpha;
        var l1Ratio = o.SolverL1Ratio;
        var facts = new List<(string, object)>();
        if (o.Alphas is { Length: > 0 } alphas)
        {
            if (truth.Any(t => !t.Tags.ContainsKey("fold"))) throw new InvalidDataException("choosing alpha needs truth rows tagged with 'fold' (split/train.parquet)");
            var (best, scores) = StackModel.ChooseAlpha(x, y, [.. truth.Select(t => t.Tags["fold"])], features, alphas, l1Ratio);
            alpha = best;
            foreach (var (a, r) in scores) facts.Add(($"cv_rmse_alpha_{a.ToString(CultureInfo.InvariantCulture)}", F(r)));
            ctx.Log.Information("Cross-validated alpha {Alpha} ({Scores})", best, string.Join(", ", scores.Select(s => $"{s.Alpha}: {s.Rmse:F3}")));
        }
        facts.Add(("alpha", alpha));
        var fit = StackModel.Fit(x, y, features, alpha, l1Ratio);
        if (l1Ratio > 0)
            facts.Add(("zero_weights", fit.Fits.OfType<RidgeFit>().Sum(f => f.Weights.Count(w => w == 0))));

        facts.AddRange([("features", fit.Layout.Count), ("oof_rows", truth.Count), ("folds", folds)]);
        for (var m = 0; m < models; m++) facts.Add(($"coordinates_m{m}", fit.Layout.Coords[m].Length));
        for (var m = 0; m < models; m++)
            facts.Add(($"oof_rmse_m{m}", F(Rmse.Of(truth.Select(t => (t.Id, t.Coords)), oof[m]).Overall)));
        var fitted = truth.ToDictionary(t => t.Id, t => fit.Predict([.. oof.Select(o => o[t.Id])]));
        facts.Add(("fit_rmse", F(Rmse.Of(truth.Select(t => (t.Id, t.Coords)), fitted).Overall)));
        ctx.Log.Information("Stacked {Models} models ({Folds} folds, {Rows} out-of-fold rows, {Features} features): {Facts}",
            models, folds, truth.Count, features, string.Join(", ", facts.Select(f => $"{f.Item1}={f.Item2}")));
        return new Fitted(fit, facts);
    }

    /// <summary>
    /// The stack's predictions for every row all of <paramref name="predictFiles"/> predict (one file per base model,
    /// in the oof order): what the meta-regressor makes of the base models' coordinates.
    /// </summary>
    public static async Task<List<Prediction>> ApplyAsync(StackModel fit, ImmutableArray<ResolvedInput> predictFiles, CancellationToken ct)
    {
        CheckPredictFiles(predictFiles, fit.Models);
        var targets = new List<Dictionary<long, Prediction>>();
        foreach (var f in predictFiles) targets.Add((await PredictionTable.ReadAsync(f.Path, ct)).ToDictionary(p => p.Id));
        var ids = targets[0].Keys.Where(id => targets.All(t => t.ContainsKey(id))).ToList();
        return [.. ids.Select(id => new Prediction(id, targets[0][id].Hash, fit.Predict([.. targets.Select(t => t[id].Coords)])))];
    }

    /// <summary>One predict file per base model, or an error saying how many there are for how many models.</summary>
    public static void CheckPredictFiles(ImmutableArray<ResolvedInput> predictFiles, int models)
    {
        if (predictFiles.Length != models)
            throw new InvalidDataException($"{predictFiles.Length} predict files for {models} models");
    }

    public static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>Long format: per output coordinate, one row per feature and one <c>(intercept)</c> row; weight per standard deviation and coefficient in the feature's own units.</summary>
    public static Task WriteWeights(string path, StackModel fit, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        var names = fit.Layout.Names();
        var coord = new List<string>(); var feature = new List<string>(); var weight = new List<double>(); var coef = new List<double>(); var rows = new List<int>();
        for (var c = 0; c < fit.Fits.Length; c++)
        {
            if (fit.Fits[c] is not { } r) continue;
            var (b, b0) = r.InOriginalUnits();
            coord.Add(Keypoints.Columns[c]); feature.Add("(intercept)"); weight.Add(r.Intercept); coef.Add(b0); rows.Add(r.Rows);
            for (var j = 0; j < names.Length; j++)
            {
                coord.Add(Keypoints.Columns[c]); feature.Add(names[j]); weight.Add(r.Weights[j]); coef.Add(b[j]); rows.Add(r.Rows);
            }
        }
        return SmallTable.WriteAsync(path, metadata, ct,
            TableColumn.Of("coordinate", [.. coord]), TableColumn.Of("feature", [.. feature]),
            TableColumn.Of("weight", [.. weight]), TableColumn.Of("coefficient", [.. coef]), TableColumn.Of("rows", [.. rows]));
    }

    public static readonly InputDecl OofInput = new("oof", InputShape.File, "out-of-fold predictions.parquet of every fold of every model, grouped by model", Many: true);
    public static readonly InputDecl TruthInput = new("truth", InputShape.File, "labelled faces for the out-of-fold rows (e.g. split/train.parquet)");
    public static readonly InputDecl PredictInput = new("predict", InputShape.File, "each model's predictions on the target set, one per model in the oof order", Many: true);
}
