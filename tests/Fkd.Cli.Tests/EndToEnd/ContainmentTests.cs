using System.Collections.Immutable;
using Fkd.Cli.Commands;
using Fkd.Flow.Runs;
using Fkd.Flow.Spec;
using Fkd.Flow.Stages;
using Fkd.Flow.Store;

namespace Fkd.Cli.Tests.EndToEnd;

/// <summary>
/// Nothing a pipeline file can name makes the program write outside the store: the hostile pipelines under
/// Hostile/ are refused by validation (exit 2, with the JSON path) before anything is written, and the
/// store refuses such names itself should one ever get past validation.
/// </summary>
public sealed class ContainmentTests : IDisposable
{
    private readonly string _parent = Directory.CreateTempSubdirectory("fkd-contain-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_parent, true); } catch (IOException) { }
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "name-parent.json", "$.name: a pipeline name may hold" },
        { "name-absolute.json", "$.name: a pipeline name may hold" },
        { "name-nested.json", "$.name: a pipeline name may hold" },
        { "name-dotdot.json", "$.name: a pipeline name may hold" },
        { "name-hidden.json", "$.name: a pipeline name may hold" },
        { "name-empty.json", "$.name: a pipeline name may hold" },
        { "name-nul.json", "$.name: a pipeline name may hold" },
        { "name-backslash.json", "$.name: a pipeline name may hold" },
        { "name-number.json", "$.name: expected the pipeline's name as a string" },
        { "stage-parent.json", "$.stages.../../x: a stage name may hold" },
        { "stage-slash.json", "$.stages.a/b: a stage name may hold" },
        { "ref-file-escape.json", "$.stages.rows.inputs.csv: stage 'faces' (kaggle-source) writes no file '../../../../etc/passwd'" },
        { "foreach-escape.json", "$.stages.rows.foreach.fold[0]: expected an integer or a string of letters" },
    };

    private static string Corpus(string name) => RepoPaths.InRepo("tests", "Fkd.Cli.Tests", "EndToEnd", "Hostile", name);

    [Fact]
    public void Every_file_of_the_corpus_is_in_the_table() =>
        Assert.Equal(Directory.GetFiles(Path.GetDirectoryName(Corpus("x"))!, "*.json").Select(Path.GetFileName).Order(),
            Hostile.Select(row => (string)row[0]).Order());

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_pipeline_is_refused_with_its_path_before_anything_is_written(string file, string expected)
    {
        // The pipeline sits two folders down, so "../../../escaped" would land inside the temp parent, where we look.
        var dir = Directory.CreateDirectory(Path.Combine(_parent, "a", "b", "c")).FullName;
        var pipeline = Path.Combine(dir, file);
        File.Copy(Corpus(file), pipeline);
        var storeRoot = Path.Combine(dir, "artifacts");

        var errors = PipelineLoader.Load(pipeline, [], StageKinds.Create()).FailToSeq().Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));

        var exit = await RunCommand.RunAsync(new ArtifactStore(storeRoot), pipeline, [], [], dryRun: false, jobs: 1, json: false, CancellationToken.None);
        Assert.Equal(ExitCodes.Usage, exit);
        // Nothing new anywhere under the parent but the pipeline file itself, and nothing at the absolute name either.
        Assert.Equal([pipeline], Directory.EnumerateFileSystemEntries(_parent, "*", SearchOption.AllDirectories).Where(File.Exists));
        Assert.False(Directory.Exists("/tmp/fkd-escaped"));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/etc")]
    [InlineData("..")]
    [InlineData(".git")]
    [InlineData("a/b")]
    [InlineData("")]
    public void The_store_refuses_unsafe_names_itself(string name)
    {
        var store = new ArtifactStore(Path.Combine(_parent, "artifacts"));
        var key = new string('a', 64);
        Assert.Throws<ArgumentException>(() => store.WriteRef(name, "stage", key));
        Assert.Throws<ArgumentException>(() => store.WriteRef("pipeline", name, key));
        Assert.Throws<ArgumentException>(() => RunRecord.Dir(store, name));
        Assert.Throws<ArgumentException>(() => store.EntryPath((name + "/" + key)[..64]));
        var ctx = new StageContext("s", key, ImmutableSortedDictionary<string, System.Text.Json.Nodes.JsonNode>.Empty,
            ImmutableDictionary<string, ResolvedInput>.Empty, Path.Combine(_parent, "out"), Serilog.Core.Logger.None, new Progress<StageProgress>());
        Assert.Throws<ArgumentException>(() => ctx.Output(name));
        Assert.False(Directory.Exists(Path.Combine(_parent, "artifacts")));
        Assert.Equal(Path.Combine(_parent, "out", "faces.parquet"), ctx.Output("faces.parquet"));
    }
}
