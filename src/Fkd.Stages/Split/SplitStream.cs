using Fkd.Flow.Exec;

namespace Fkd.Stages.Split;

/// <summary>What a streaming split wrote, and the most it held at once (<see cref="PeakRowsHeld"/>: rows of live
/// input row groups + output rows not yet written), which depends on the row-group size and block capacity,
/// never on the row count. <see cref="Labelled"/> counts rows by their <c>labelled</c> tag.</summary>
public sealed record SplitSummary(long Train, long Val, ImmutableDictionary<long, long> Labelled,
    int RowGroupsIn, int MaxInputGroupsHeld, int MaxRowsInFlight, long PeakRowsHeld);

/// <summary>
/// The split stage's work: a row's side and fold depend only on its group, so one pass over the row
/// groups (images read a group at a time, kept never) finds which tags each side's rows carry — the
/// columns the whole-table writer made — and a second sends the rows through a bounded, ordered Dataflow
/// flow (<see cref="RowFlow.RunOrderedAsync"/>) into train.parquet and val.parquet, cut into row groups
/// as they come. Rows, order, columns and row groups are the whole-table code's, so the bytes are too.
/// </summary>
public static class SplitStream
{
    public const int DefaultCapacity = 256;

    private sealed record Item(FaceRow Row, int GroupRows, bool LastOfGroup);

    public static async Task<SplitSummary> RunAsync(string input, string trainPath, string valPath, Func<FaceRow, string> groupOf,
        double valFraction, int folds, int seed, IReadOnlyDictionary<string, string> metadata, CancellationToken ct,
        int rowGroupSize = FaceTable.RowGroupSize, int capacity = DefaultCapacity)
    {
        SortedSet<string> trainTags = new(StringComparer.Ordinal), valTags = new(StringComparer.Ordinal);
        bool anyTrain = false, anyVal = false;
        await foreach (var group in FaceTable.ReadGroupsAsync(input, ct))
            foreach (var r in group)
            {
                var isVal = Splits.IsVal(groupOf(r), valFraction, seed);
                (isVal ? valTags : trainTags).UnionWith(r.Tags.Keys);
                if (isVal) anyVal = true; else anyTrain = true;
            }
        string[] Columns(SortedSet<string> tags, bool any) => any ? [.. tags.Union(["fold", "labelled"]).Order(StringComparer.Ordinal)] : [];

        await using var train = await FaceTable.RowWriter.CreateAsync(trainPath, Columns(trainTags, anyTrain), metadata, ct, rowGroupSize);
        await using var val = await FaceTable.RowWriter.CreateAsync(valPath, Columns(valTags, anyVal), metadata, ct, rowGroupSize);

        var labelled = new Dictionary<long, long>();
        var groupsIn = 0;
        var held = new HeldRows(() => train.Pending + val.Pending);

        async IAsyncEnumerable<Item> Items()
        {
            await foreach (var rows in FaceTable.ReadGroupsAsync(input, ct))
            {
                groupsIn++;
                if (rows.Length == 0) continue;
                held.Take(rows.Length);
                held.Peak();
                for (var i = 0; i < rows.Length; i++) yield return new Item(rows[i], rows.Length, i == rows.Length - 1);
            }
        }

        var stats = await RowFlow.RunOrderedAsync(Items(), item => (item, Placed: Splits.Place(item.Row, groupOf(item.Row), valFraction, folds, seed)), async res =>
        {
            var (isVal, row) = res.Placed;
            await (isVal ? val : train).AddAsync(row, ct);
            var n = row.TagOr("labelled", -1);
            labelled[n] = labelled.GetValueOrDefault(n) + 1;
            held.Peak();
            if (res.item.LastOfGroup) held.Release(res.item.GroupRows);
        }, new RowFlow.Options(0, capacity), ct);

        await train.CompleteAsync(ct);
        await val.CompleteAsync(ct);
        return new SplitSummary(train.Rows, val.Rows, labelled.ToImmutableDictionary(), groupsIn, held.MaxGroupsHeld, stats.MaxInFlight, held.PeakRowsHeld);
    }
}
