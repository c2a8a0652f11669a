using System.Collections.Immutable;
using System.IO.Hashing;
using System.Text;
using Fkd.Flow.Stages;
using Fkd.Stages.Faces;

namespace Fkd.Stages.Stages;

/// <summary>
/// Splits a face table into train and validation and gives every row a fold, assigning by group:
/// the person (from a row→group CSV such as faces-real's train_sources.csv) when given, else the
/// image hash — so near-identical rows never straddle a split. Also tags each row with Kaggle's
/// two-source pattern: <c>labelled</c> = 15 (all keypoints), 4 (exactly the second source's four), or
/// the count otherwise.
/// </summary>
public sealed class SplitStage : FaceStage
{
    public override string Kind => "split";
    public override int Version => 1;
    public override string Description => "group-aware train/validation split and k-fold assignment; two-source tagging";
    public override ImmutableArray<ParamDecl> Params =>
    [
        ParamDecl.Float("val_fraction", 0.15, "share of groups held out for validation", min: 0, max: 0.9),
        ParamDecl.Int("folds", 5, "number of folds for cross-validation", min: 2, max: 50),
        ParamDecl.Int("seed", 1, "seed of the assignment"),
        ParamDecl.Str("group_column", "person", "column of the groups CSV naming each row's group"),
    ];
    public override ImmutableArray<InputDecl> Inputs =>
    [
        new("faces", InputShape.File, "face table (e.g. labelfix/faces.parquet)"),
        new("groups", InputShape.File, "CSV with a row column (0-based source row) and a group column", Optional: true),
    ];
    public override ImmutableArray<string> Outputs => ["train.parquet", "val.parquet"];

    public override async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken ct)
    {
        var rows = await ReadFaces(ctx, "faces", ct);
        var groups = ctx.OptionalInput("groups") is { } g ? ReadGroups(g.Path, ctx.Str("group_column")) : null;
        var (train, val) = Splits.Assign(rows, r => groups is null ? r.Hash : groups.GetValueOrDefault(r.Id) ?? r.Hash,
            ctx.Float("val_fraction"), ctx.Int("folds"), ctx.Int("seed"));
        await WriteFaces(ctx, "train.parquet", train, ct);
        await WriteFaces(ctx, "val.parquet", val, ct);
        var all = train.Concat(val).ToList();
        int Count(long n) => all.Count(r => r.TagOr("labelled", -1) == n);
        var other = all.Count - Count(15) - Count(4);
        ctx.Log.Information("Split: {Train} train, {Val} validation; {Full} rows with all 15 keypoints, {Four} with exactly the 4, {Other} in neither",
            train.Length, val.Length, Count(15), Count(4), other);
        return StageOutcome.Of(train.Length + val.Length, ("train", train.Length), ("val", val.Length),
            ("full_rows", Count(15)), ("four_rows", Count(4)), ("other_rows", other), ("grouped_by", groups is null ? "image_hash" : ctx.Str("group_column")));
    }

    private static Dictionary<long, string> ReadGroups(string path, string column)
    {
        var csv = SimpleCsv.Read(path);
        var rowIx = csv.IndexOf("row");
        var gIx = csv.IndexOf(column);
        if (rowIx < 0 || gIx < 0)
            throw new InvalidDataException($"{csv.Name}:1:1: header: expected columns 'row' and '{column}', found {csv.HeaderLine}");
        var map = new Dictionary<long, string>();
        foreach (var (line, f) in csv.Rows(strictBlank: true))
        {
            if (f.Length != csv.Header.Length || !long.TryParse(f[rowIx], out var row))
                throw new InvalidDataException($"{csv.Name}:{line}:1: expected {csv.Header.Length} fields with an integer row");
            map[row] = f[gIx];
        }
        return map;
    }
}

public static class Splits
{
    /// <summary>Pure: deterministic in (seed, group) only, so adding rows never moves existing groups.</summary>
    public static (ImmutableArray<FaceRow> Train, ImmutableArray<FaceRow> Val) Assign(
        IEnumerable<FaceRow> rows, Func<FaceRow, string> groupOf, double valFraction, int folds, int seed)
    {
        var train = ImmutableArray.CreateBuilder<FaceRow>();
        var val = ImmutableArray.CreateBuilder<FaceRow>();
        foreach (var r in rows)
        {
            var group = groupOf(r);
            var u = Unit(seed, "val", group);
            var fold = (int)(Unit(seed, "fold", group) * folds);
            var labelled = r.Face.LabelledKeypoints;
            var tagged = r.Tag("fold", fold).Tag("labelled", labelled);
            (u < valFraction ? val : train).Add(tagged);
        }
        return (train.ToImmutable(), val.ToImmutable());
    }

    private static double Unit(int seed, string salt, string group) =>
        (XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{seed}|{salt}|{group}")) >> 11) * (1.0 / (1UL << 53));
}
