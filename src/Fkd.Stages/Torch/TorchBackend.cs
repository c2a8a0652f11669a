namespace Fkd.Stages.Torch;

/// <summary>Which libtorch package this build links (see the TorchBackend build property). A constant, so asking never loads libtorch.</summary>
public static class TorchBackend
{
#if FKD_TORCH_CUDA
    public const string Name = "cuda-12.8";
#else
    public const string Name = "cpu";
#endif

    /// <summary>Library versions and backend: part of the key of every stage that runs torch, since they change its numbers.</summary>
    public const string KeyFacts = $"torchsharp={TorchRuntime.TorchSharpVersion};libtorch={TorchRuntime.LibTorchVersion};backend={Name}";

}
