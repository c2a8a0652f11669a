using Fkd.Flow.Spec;
using Fkd.Tests;

namespace Fkd.Cli.Tests.Commands;

/// <summary>Every pipeline the repository ships loads and validates against the stage kinds this build has.</summary>
public sealed class PipelineFilesTests
{
    public static TheoryData<string> Files() =>
        [.. Directory.EnumerateFiles(RepoPaths.InRepo("pipelines"), "*.json").Select(Path.GetFileName).Order()!];

    [Theory]
    [MemberData(nameof(Files))]
    public void A_shipped_pipeline_validates(string file)
    {
        var path = RepoPaths.InRepo("pipelines", file);
        // The real-data pipelines name the holdout file the user passes with --set (README); any file stands in.
        var stand = Path.GetTempFileName();
        try
        {
            string[] sets = File.ReadAllText(path).Contains("\"holdout_rows\"") ? [$"holdout_rows.csv={stand}"] : [];
            var spec = PipelineLoader.Load(path, sets, StageKinds.Create());
            Assert.True(spec.IsSuccess, string.Join("\n", spec.FailToSeq().Select(e => e.ToString())));
        }
        finally { File.Delete(stand); }
    }
}
