namespace Fkd.Stages.Tests.Torch;

/// <summary>Torch tests share libtorch's global thread and seed settings: run them one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "torch";
}
