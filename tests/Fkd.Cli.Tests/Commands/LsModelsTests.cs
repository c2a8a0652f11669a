using System.Text.Json.Nodes;
using Fkd.Cli.Tests.EndToEnd;
using Fkd.Stages.Torch;

namespace Fkd.Cli.Tests.Commands;

/// <summary><c>ls models</c>: every train model, in the factory's order, with its parameter counts for 30 and 8 outputs.</summary>
public sealed class LsModelsTests
{
    [Fact]
    public void Lists_every_model_with_its_parameter_counts()
    {
        var r = CliProcess.Run(null, "ls", "models", "--json");
        Assert.True(r.Exit == 0, r.Tail);
        var models = JsonNode.Parse(r.Stdout)!["models"]!.AsArray();
        Assert.Equal(ModelFactory.Names, models.Select(m => (string)m!["name"]!));
        var byName = models.ToDictionary(m => (string)m!["name"]!, m => ((long)m!["parameters_30"]!, (long)m!["parameters_8"]!));
        // Figures the model tests derive layer by layer.
        Assert.Equal(1_285_246, byName["cnn-small"].Item1);
        Assert.Equal(4_105_418, byName["lenet5-seed"].Item1);
        Assert.Equal(86_797_534, byName["resnext101"].Item1);
        // 22 fewer outputs: the last layer loses 22 x (its inputs + 1); the heatmap's 1x1 conv loses 11 maps x 33.
        Assert.Equal(1_285_246 - 22 * 257, byName["cnn-small"].Item2);
        Assert.Equal(143_567 - 11 * 33, byName["heatmap"].Item2);
        Assert.Equal([ModelFactory.Default], models.Where(m => (bool)m!["default"]!).Select(m => (string)m!["name"]!));
    }
}
