using System.IO.Compression;

namespace Fkd.Stages.Source;

/// <summary>
/// The pipeline's data source. Writes Kaggle-format training.csv, test.csv and IdLookupTable.csv,
/// plus the review files drop.csv and fixes.csv. Without inputs it draws the built-in synthetic
/// faces (deterministic in its parameters, with Kaggle's traits planted); with a <c>train</c> input
/// (and optionally <c>test</c> and <c>lookup</c>) it passes real files through, unpacking .gz and
/// Kaggle's .zip, so every later stage reads one plain format.
/// </summary>
public sealed class KaggleSourceStage() : Stage<SyntheticOptions>("kaggle-source", 1, "Kaggle-format CSVs: built-in synthetic faces, or real files passed through", Reads, Writes)
{
    protected override Task<StageOutcome> RunAsync(StageContext ctx, SyntheticOptions o, CancellationToken ct)
    {
        if (ctx.OptionalInput("train") is { } train)
        {
            Unpack(train.Path, ctx.Output("training.csv"));
            if (ctx.OptionalInput("test") is { } test) Unpack(test.Path, ctx.Output("test.csv"));
            else File.WriteAllText(ctx.Output("test.csv"), KaggleCsvWriter.TestHeader + "\n");
            if (ctx.OptionalInput("lookup") is { } lookup) Unpack(lookup.Path, ctx.Output("IdLookupTable.csv"));
            else if (ctx.OptionalInput("test") is null) File.WriteAllText(ctx.Output("IdLookupTable.csv"), KaggleCsvWriter.LookupHeader + "\n");
            else File.Delete(ctx.Output("IdLookupTable.csv"));
            // No review of real data exists until a person writes one: empty lists.
            File.WriteAllText(ctx.Output("drop.csv"), SyntheticFixes.DropHeader + "\n");
            File.WriteAllText(ctx.Output("fixes.csv"), SyntheticFixes.FixesHeader + "\n");
            if (!File.Exists(ctx.Output("IdLookupTable.csv")))
                throw new InvalidDataException("a real test file needs its IdLookupTable.csv: set the lookup input too");
            var lines = File.ReadLines(ctx.Output("training.csv")).Count() - 1;
            ctx.Log.Information("Real data: {Rows} training rows from {File}", lines, Path.GetFileName(train.Path));
            return Task.FromResult(StageOutcome.Of(lines, ("source", "files")));
        }

        var d = SyntheticFaces.Generate(o);
        ct.ThrowIfCancellationRequested();
        SyntheticFaces.WriteKaggleFiles(d, ctx.OutputDir);
        var p = d.Planted;
        ctx.Log.Information("Synthetic faces: {Train} training rows ({Partial} with 4 keypoints, {Groups} duplicate groups, {Wrong} wrong labels, {Blank} blank), {Test} test images",
            d.Train.Length, p.PartialCount, p.DuplicateGroupCount, p.WrongLabelRowCount, p.BlankCount, d.Test.Length);
        return Task.FromResult(StageOutcome.Of(d.Train.Length, ("source", "synthetic"), ("partial_rows", p.PartialCount),
            ("duplicate_groups", p.DuplicateGroupCount), ("duplicate_rows", p.DuplicateRowCount),
            ("wrong_label_rows", p.WrongLabelRowCount), ("blank_images", p.BlankCount), ("test_images", d.Test.Length)));
    }

    /// <summary>Copies a file as plain CSV: gunzips .gz, takes the single .csv entry of a .zip.</summary>
    private static void Unpack(string from, string to)
    {
        using var outFile = File.Create(to);
        using var fs = File.OpenRead(from);
        Span<byte> magic = stackalloc byte[4];
        var n = fs.Read(magic);
        fs.Position = 0;
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        {
            using var gz = new GZipStream(fs, CompressionMode.Decompress);
            gz.CopyTo(outFile);
        }
        else if (n >= 4 && magic[0] == (byte)'P' && magic[1] == (byte)'K' && magic[2] == 3 && magic[3] == 4)
        {
            using var zip = new ZipArchive(fs, ZipArchiveMode.Read);
            var csvs = zip.Entries.Where(e => e.FullName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)).ToList();
            if (csvs.Count != 1)
                throw new InvalidDataException($"{Path.GetFileName(from)}: expected exactly one .csv inside the zip, found {csvs.Count} ({string.Join(", ", zip.Entries.Select(e => e.FullName))})");
            using var e = csvs[0].Open();
            e.CopyTo(outFile);
        }
        else fs.CopyTo(outFile);
    }

    private static readonly ImmutableArray<InputDecl> Reads = [
        new("train", InputShape.File, "real training file (.csv, .csv.gz or .zip); replaces the synthetic faces", Optional: true),
        new("test", InputShape.File, "real test file (ImageId,Image); without it, with a real train file, the test set is empty", Optional: true),
        new("lookup", InputShape.File, "IdLookupTable.csv for the test file", Optional: true),
    ];
    private static readonly ImmutableArray<string> Writes = ["training.csv", "test.csv", "IdLookupTable.csv", "drop.csv", "fixes.csv"];
}
