using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Fkd.Flow.Stages;
using Fkd.Stages.Dedup;
using Fkd.Stages.Faces;
using Fkd.Stages.Tests.Faces;
using Parquet;

namespace Fkd.Stages.Tests.Dedup;

public sealed class DedupStageTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10)] // duplicates straddle the input's row groups of 3
    public async Task The_streaming_stage_writes_what_the_whole_table_merge_wrote(int distinct)
    {
        var baseRows = FaceTableStreamTests.Rows(distinct, seed: 4);
        // Copies of rows 0, 2 and 5 later in the table, with other labels and tags.
        var rows = baseRows.ToList();
        foreach (var k in new[] { 0, 2, 5 }.Where(k => k < distinct))
            rows.Add(baseRows[k] with { Id = 100 + k, Coords = [.. baseRows[k].Coords.Select(c => c + 1)], Tags = FaceRow.NoTags.SetItem("extra", k) });
        var input = _dir.File("in.parquet");
        await FaceTable.WriteAsync(input, rows, new Dictionary<string, string>(), rowGroupSize: 3);

        var output = _dir.File("out");
        Directory.CreateDirectory(output);
        var ctx = new StageContext("dedup", "k", ImmutableSortedDictionary<string, JsonNode>.Empty,
            new Dictionary<string, ResolvedInput> { ["faces"] = new("faces", "f", input, IsFile: true) }.ToImmutableDictionary(),
            output, Serilog.Core.Logger.None, new Progress<StageProgress>());
        var outcome = await new DedupStage().RunAsync(ctx, CancellationToken.None);

        var (merged, groups) = Duplicates.Merge(rows);
        Assert.Equal(merged.Length, outcome.Rows);
        Assert.Equal(DuplicateGroups.ToCsv(groups), File.ReadAllText(Path.Combine(output, "groups.csv")));
        Dictionary<string, string> meta;
        await using (var r = await ParquetReader.CreateAsync(Path.Combine(output, "faces.parquet"))) meta = r.CustomMetadata.ToDictionary();
        var reference = _dir.File("reference.parquet");
        await FaceTable.WriteAsync(reference, merged, meta);
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(Path.Combine(output, "faces.parquet")));
        Assert.Equal(distinct > 5 ? 3 : distinct > 2 ? 2 : distinct > 0 ? 1 : 0, groups.Length);
    }
}
