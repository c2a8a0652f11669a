namespace Fkd.Stages.Torch;

/// <summary>Where torch runs: auto = CUDA when the build links it and a GPU is present, else the CPU.</summary>
public enum TorchDevice { Auto, Cpu, Cuda }

/// <summary>The parameters every torch stage takes alike, declared once: its thread count and its device.</summary>
public abstract record TorchStageParams : IStageParams, IQueueHint
{
    [Param("threads", "torch threads (0 = all cores)", Min = 0)]
    public int Threads { get; init; }

    [Param("device", "auto = CUDA when available")]
    public TorchDevice Device { get; init; } = TorchDevice.Auto;

    /// <summary>A distributed run sends a stage that asks for cuda to the GPU workers; auto and cpu run anywhere.</summary>
    public string Queue => Device == TorchDevice.Cuda ? Fkd.Flow.Cluster.QueueNames.Gpu : Fkd.Flow.Cluster.QueueNames.Cpu;
}
