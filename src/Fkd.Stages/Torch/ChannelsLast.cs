using static TorchSharp.torch;

namespace Fkd.Stages.Torch;

/// <summary>
/// Channels-last (NHWC) storage for a model's 4-D weights and its input batches: libtorch's CPU convolutions
/// (oneDNN) then run, and hand on their outputs, in that layout, which is faster for most of our models (see
/// <c>bench train</c>). TorchSharp 0.107 has no <c>memory_format</c> argument, so the layout is made from strides:
/// a tensor permuted to NHWC, made contiguous and permuted back has NCHW's shape and NHWC's memory order, which is
/// what PyTorch's <c>to(memory_format=torch.channels_last)</c> makes. Values and semantics are unchanged; only the
/// order of floating-point sums inside a convolution differs, so results agree to rounding, not bit for bit.
/// TorchSharp's <c>save</c> and <c>Tensor.Save</c> write only contiguous tensors: <see cref="Save"/> writes the
/// model in the ordinary layout.
/// </summary>
public static class ChannelsLast
{
    /// <summary>Moves every 4-D parameter of <paramref name="model"/> to channels-last storage, in place (the
    /// parameter objects stay the same, so an optimizer made before or after holds the same tensors).</summary>
    public static void Apply(nn.Module model) => Relayout(model, toChannelsLast: true);

    /// <summary>An NCHW-shaped input batch with channels-last strides: a view when that needs no copy (one
    /// channel: the two layouts are the same bytes), else a copy.</summary>
    public static Tensor Input(Tensor x)
    {
        if (x.dim() != 4 || IsChannelsLast(x)) return x;
        return x.shape[1] == 1 && x.is_contiguous() ? x.as_strided(x.shape, Strides(x.shape)) : Of(x);
    }

    /// <summary><c>module.save</c> of a model whose weights may be channels-last: they are written in the
    /// ordinary (contiguous) layout, so the file is the one an NCHW model of the same values writes, and loads anywhere.</summary>
    public static void Save(nn.Module model, string path)
    {
        var relaid = model.parameters().Any(p => p.dim() == 4 && !p.is_contiguous());
        if (relaid) Relayout(model, toChannelsLast: false);
        try { model.save(path); }
        finally { if (relaid) Relayout(model, toChannelsLast: true); }
    }

    /// <summary>Whether a 4-D tensor has exactly channels-last strides. libtorch picks a convolution's layout from
    /// the strides, so a one-channel tensor counts only with the channel stride 1 written out, as <see cref="Apply"/> writes it.</summary>
    public static bool IsChannelsLast(Tensor t) => t.dim() == 4 && t.stride().SequenceEqual(Strides(t.shape));

    /// <summary>The strides of an N x C x H x W tensor stored as N x H x W x C.</summary>
    private static long[] Strides(long[] shape)
    {
        var (c, h, w) = (shape[1], shape[2], shape[3]);
        return [h * w * c, 1, w * c, c];
    }

    /// <summary>A channels-last copy (empty_strided, then copy_: it gives the strides even where a permute would
    /// leave a one-channel tensor's as they were).</summary>
    private static Tensor Of(Tensor t) => empty_strided(t.shape, Strides(t.shape), t.dtype, t.device).copy_(t);

    private static void Relayout(nn.Module model, bool toChannelsLast)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var p in model.parameters())
        {
            if (p.dim() != 4) continue;
            // set_ points the parameter at the new storage; the temporaries' handles go with the scope.
            if (toChannelsLast && !IsChannelsLast(p)) p.set_(Of(p));
            else if (!toChannelsLast && !p.is_contiguous()) p.set_(p.contiguous());
        }
    }
}
