using System.Text.Json.Nodes;
using Fkd.Stages.Train;

namespace Fkd.Stages.Tests.Torch;

/// <summary>A distributed run sends a torch stage that asks for cuda to the GPU workers' queue; auto and cpu run on any worker.</summary>
public class TorchQueueTests
{
    [Theory]
    [InlineData("cuda", "gpu")]
    [InlineData("cpu", "cpu")]
    [InlineData("auto", "cpu")]
    public void The_device_picks_the_queue(string device, string queue)
    {
        var stage = new TrainStage();
        var values = stage.Params.ToDictionary(p => p.Name, p => p.Default?.DeepClone());
        values["device"] = JsonValue.Create(device);
        Assert.Equal(queue, stage.QueueFor(values));
    }
}
