using System.Globalization;
using Fkd.Flow.Exec;

namespace Fkd.Stages.Augment;

/// <summary>What a streaming augment did, and the most it held at once (<see cref="PeakRowsHeld"/>:
/// input rows of live row groups + variants inside the Dataflow blocks + output rows not yet written),
/// which depends on the row-group size and block capacity, never on the row count.</summary>
public sealed record AugmentSummary(
    long FacesIn, int Variants, long RowsOut, long Dropped, long MarkedMissing,
    int RowGroupsIn, int RowGroupsOut, int MaxInputGroupsHeld, int MaxVariantsInFlight, long PeakRowsHeld);

/// <summary>
/// The augment stage's work, shared with <c>bench memory</c>: the input face table is read one row
/// group at a time; each (row, variant) job goes through a bounded, ordered Dataflow transform on all
/// cores (<see cref="RowFlow.RunOrderedAsync"/>); the sink appends the kept variants to the output
/// table, cut into row groups as they come. Order (source row, then variant) and row-group layout are
/// what the whole-table code wrote, so the file's bytes are too. Memory: about two input row groups,
/// twice the block capacity in variants and one output row group, whatever the row count.
/// </summary>
public static class AugmentStream
{
    /// <summary>Variants inside each Dataflow block at most.</summary>
    public const int DefaultCapacity = 512;

    private sealed record Group(ImmutableArray<FaceRow> Rows, int Index);

    /// <summary>One variant of one source row (Variant −1: the row kept as it is, <see cref="AugmentRows.Full"/>).</summary>
    private sealed record Job(Group Group, int Row, int Variant, bool LastOfGroup);

    private sealed record Result(Job Job, AugmentOutcome? Outcome);

    public static async Task<AugmentSummary> RunAsync(string input, string output, AugmentParams p,
        IReadOnlyDictionary<string, string> metadata, Action<long, double>? progress, CancellationToken ct,
        int rowGroupSize = FaceTable.RowGroupSize, int capacity = DefaultCapacity)
    {
        var variants = Recipe.Variants(p);
        var seed = p.Seed;
        var onlyFull = p.Rows == AugmentRows.Full;
        var facesIn = await FaceTable.RowCountAsync(input, ct);
        // The columns the whole-table writer made: every tag some input row carries, plus variant (none
        // for no rows). One case differs: when every variant of every row carrying some tag is dropped, that
        // tag's column is still written, all null.
        var tags = facesIn == 0 ? [] : (await FaceTable.TagsAsync(input, ct)).Add("variant").Distinct().Order(StringComparer.Ordinal).ToArray();
        await using var writer = await FaceTable.RowWriter.CreateAsync(output, tags, metadata, ct, rowGroupSize);

        long dropped = 0, marked = 0, done = 0;
        var groupsIn = 0;
        var inFlight = 0;
        var held = new HeldRows(() => Volatile.Read(ref inFlight) + writer.Pending);

        async IAsyncEnumerable<Job> Jobs()
        {
            await foreach (var rows in FaceTable.ReadGroupsAsync(input, ct))
            {
                var g = new Group(rows, groupsIn++);
                if (rows.Length == 0) continue;
                held.Take(rows.Length);
                for (var i = 0; i < rows.Length; i++)
                {
                    var last = i == rows.Length - 1;
                    if (onlyFull && !rows[i].Face.HasAll) { Interlocked.Increment(ref inFlight); held.Peak(); yield return new Job(g, i, -1, last); continue; }
                    for (var v = 0; v < variants.Length; v++)
                    {
                        Interlocked.Increment(ref inFlight);
                        held.Peak();
                        yield return new Job(g, i, v, last && v == variants.Length - 1);
                    }
                }
            }
        }

        var stats = await RowFlow.RunOrderedAsync(Jobs(), job =>
        {
            var r = job.Group.Rows[job.Row];
            return job.Variant < 0
                ? new Result(job, null)
                : new Result(job, Augmenter.Apply(r.Face, UInt128.Parse(r.Hash, NumberStyles.HexNumber), variants[job.Variant], seed));
        }, async res =>
        {
            var job = res.Job;
            var r = job.Group.Rows[job.Row];
            if (res.Outcome is null) await writer.AddAsync(r.Tag("variant", 0), ct);
            else if (res.Outcome.Face is { } f)
            {
                await writer.AddAsync(r with { Pixels = f.Pixels, Coords = f.Coords, Tags = r.Tags.SetItem("variant", res.Outcome.VariantIndex) }, ct);
                marked += res.Outcome.MarkedMissing;
            }
            else dropped++;
            held.Peak();
            Interlocked.Decrement(ref inFlight);
            if (job.LastOfGroup) held.Release(job.Group.Rows.Length);
            if (++done % 2000 == 0) progress?.Invoke(done, facesIn * (double)variants.Length);
        }, new RowFlow.Options(p.Threads, capacity), ct);

        await writer.CompleteAsync(ct);
        return new AugmentSummary(facesIn, variants.Length, writer.Rows, dropped, marked, groupsIn, writer.RowGroups,
            held.MaxGroupsHeld, stats.MaxInFlight, held.PeakRowsHeld);
    }
}
