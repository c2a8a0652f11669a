using Fkd.Flow.Exec;

namespace Fkd.Stages.LabelFix;

/// <summary>What a streaming label fix did, and the most it held at once (<see cref="PeakRowsHeld"/>: rows of
/// live input row groups + output rows not yet written), which depends on the row-group size and block
/// capacity, never on the row count.</summary>
public sealed record LabelFixSummary(FixPlan Plan, long RowsIn, long RowsOut, int RowGroupsIn, int RowGroupsOut,
    int MaxInputGroupsHeld, int MaxRowsInFlight, long PeakRowsHeld);

/// <summary>
/// The label-fix stage's work: a first pass over the row groups keeps what <see cref="LabelFixes.Plan"/>
/// reads (hashes, ids, pixel spreads, the labels of targeted rows, the tags); a second pass sends the rows
/// through a bounded, ordered Dataflow flow (<see cref="RowFlow.RunOrderedAsync"/>) into the output table,
/// cut into row groups as they come. Same rows, order, columns and row groups as the whole-table code, so
/// the same bytes. A fix or drop that matches nothing fails before the output is written.
/// </summary>
public static class LabelFixStream
{
    public const int DefaultCapacity = 256;

    private sealed record Item(FaceRow Row, int Index, int GroupRows, bool LastOfGroup);

    public static async Task<LabelFixSummary> RunAsync(string input, string output, IReadOnlyList<DropFix> drops, IReadOnlyList<KeypointFix> fixes,
        double blankStd, IReadOnlyDictionary<string, string> metadata, CancellationToken ct,
        int rowGroupSize = FaceTable.RowGroupSize, int capacity = DefaultCapacity)
    {
        var infos = new List<FixRowInfo>();
        var tagsOfRow = new List<ImmutableSortedDictionary<string, long>>();
        await foreach (var group in FaceTable.ReadGroupsAsync(input, ct))
            foreach (var r in group) { infos.Add(LabelFixes.Info(r, fixes, blankStd)); tagsOfRow.Add(r.Tags); }
        var plan = LabelFixes.Plan(infos, drops, fixes, blankStd);
        if (plan.Unmatched.Length > 0)
            throw new InvalidDataException("label fixes that match no row: " + string.Join("; ", plan.Unmatched));

        // The columns the whole-table writer made: the tags of the kept rows.
        var tags = Enumerable.Range(0, infos.Count).Where(i => plan.Decisions[i].Keep).SelectMany(i => tagsOfRow[i].Keys)
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        await using var writer = await FaceTable.RowWriter.CreateAsync(output, tags, metadata, ct, rowGroupSize);

        var groupsIn = 0;
        var held = new HeldRows(() => writer.Pending);

        async IAsyncEnumerable<Item> Items()
        {
            var index = 0;
            await foreach (var rows in FaceTable.ReadGroupsAsync(input, ct))
            {
                groupsIn++;
                if (rows.Length == 0) continue;
                held.Take(rows.Length);
                held.Peak();
                for (var i = 0; i < rows.Length; i++) yield return new Item(rows[i], index++, rows.Length, i == rows.Length - 1);
            }
        }

        var stats = await RowFlow.RunOrderedAsync(Items(), item => (item, Row: plan.Decisions[item.Index].Apply(item.Row)), async res =>
        {
            if (res.Row is { } row) await writer.AddAsync(row, ct);
            held.Peak();
            if (res.item.LastOfGroup) held.Release(res.item.GroupRows);
        }, new RowFlow.Options(0, capacity), ct);

        await writer.CompleteAsync(ct);
        return new LabelFixSummary(plan, infos.Count, writer.Rows, groupsIn, writer.RowGroups, held.MaxGroupsHeld, stats.MaxInFlight, held.PeakRowsHeld);
    }
}
