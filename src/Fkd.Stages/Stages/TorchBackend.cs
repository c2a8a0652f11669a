using Fkd.Flow.Stages;

namespace Fkd.Stages.Stages;

/// <summary>Which libtorch package this build links (see the TorchBackend build property). A constant, so asking never loads libtorch.</summary>
public static class TorchBackend
{
#if FKD_TORCH_CUDA
    public const string Name = "cuda-12.8";
#else
    public const string Name = "cpu";
#endif

    /// <summary>Library versions and backend: part of the key of every stage that runs torch, since they change its numbers.</summary>
    public const string KeyFacts = $"torchsharp={Torch.TorchRuntime.TorchSharpVersion};libtorch={Torch.TorchRuntime.LibTorchVersion};backend={Name}";

    /// <summary>The parameters every torch stage takes alike: its thread count and device.</summary>
    public static readonly ParamDecl ThreadsParam = ParamDecl.Int("threads", 0, "torch threads (0 = all cores)", min: 0);
    public static readonly ParamDecl DeviceParam = ParamDecl.OneOf("device", "auto", "auto = CUDA when available", "auto", "cpu", "cuda");
}
