using Fkd.Stages.Dedup;

namespace Fkd.Stages.Report;

/// <summary>The report a stream built, and what it held: <see cref="PeakRowsHeld"/> is rows of the row group in hand
/// plus the gallery images kept, which depends on the row-group size and the gallery sizes, never on the row count.</summary>
public sealed record ReportRun(string Html, ReportSummary Summary, int RowGroupsRead, int MaxGroupsHeld, long PeakRowsHeld, int GalleryImages);

/// <summary>
/// The report stage's work in bounded memory, like dedup's two passes: a first pass over the row groups of
/// train (and test) keeps a <see cref="TableDigest"/> of each (labels, hashes, ids, histogram and pixel sums, the
/// PCA sample's block-averaged images); the report is drafted from those; a second pass over train fetches
/// only the images its galleries show, and stops once it has them. The same page, byte for byte, as the
/// whole-table report: every number is computed from the same values in the same order.
/// </summary>
public static class ReportStream
{
    public static async Task<ReportRun> RunAsync(string train, string? test, IReadOnlyList<DuplicateGroup>? groups,
        IReadOnlyList<ReviewEntry>? review, ReportParams o, CancellationToken ct)
    {
        // The PCA sample depends on both tables' row counts, which the footers give before any row is read.
        var trainRows = checked((int)await FaceTable.RowCountAsync(train, ct));
        var testRows = test is null ? 0 : checked((int)await FaceTable.RowCountAsync(test, ct));
        var share = PcaSample.Share(trainRows + testRows, o.MaxRowsForPca);

        var images = new Dictionary<int, byte[]>();
        var held = new HeldRows(() => images.Count);
        var groupsRead = 0;

        async IAsyncEnumerable<ImmutableArray<FaceRow>> Groups(string path)
        {
            await foreach (var rows in FaceTable.ReadGroupsAsync(path, ct))
            {
                groupsRead++;
                if (rows.Length == 0) continue;
                held.Take(rows.Length);
                held.Peak();
                // Released when the consumer asks for the next group or stops early.
                try { yield return rows; }
                finally { held.Peak(); held.Release(rows.Length); }
            }
        }

        async Task<TableDigest> Digest(string path, int rows)
        {
            var b = new TableDigest.Builder(PcaSample.Rows(rows, share), o.PcaSide);
            await foreach (var group in Groups(path))
                foreach (var r in group) b.Add(r);
            return b.ToDigest();
        }

        var trainDigest = await Digest(train, trainRows);
        var testDigest = test is null ? null : await Digest(test, testRows);
        var (draft, summary) = ReportBuilder.Draft(trainDigest, testDigest, groups, review, o);

        var wanted = draft.Rows;
        if (wanted.Count > 0)
        {
            var index = 0;
            await foreach (var group in Groups(train))
            {
                foreach (var r in group)
                {
                    if (wanted.Contains(index)) images[index] = r.Pixels;
                    index++;
                }
                if (images.Count == wanted.Count) break;
            }
        }
        return new ReportRun(draft.Render(images), summary, groupsRead, held.MaxGroupsHeld, held.PeakRowsHeld, images.Count);
    }
}
