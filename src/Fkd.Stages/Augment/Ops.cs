namespace Fkd.Stages.Augment;

/// <summary>A geometric operation of a variant. Affine ops compose into one <see cref="Affine2D"/>; <see cref="Elastic"/> adds a random displacement field.</summary>
public abstract record GeometricOp
{
    private GeometricOp() { }

    /// <summary>Rotation about the image centre (47.5, 47.5); positive = counter-clockwise as displayed.</summary>
    public sealed record Rotate(double Degrees) : GeometricOp { public override string ToString() => $"rot({Degrees:0.###})"; }
    /// <summary>Translation in pixels (positive = right / down).</summary>
    public sealed record Shift(double Dx, double Dy) : GeometricOp { public override string ToString() => $"shift({Dx:0.###},{Dy:0.###})"; }
    /// <summary>Uniform scale about the image centre.</summary>
    public sealed record Scale(double Factor) : GeometricOp { public override string ToString() => $"scale({Factor:0.###})"; }
    /// <summary>Simard elastic deformation: field = alpha · Gaussian(sigma) ∗ uniform(−1, 1) noise, drawn from the variant's PRNG.</summary>
    public sealed record Elastic(double Alpha, double Sigma) : GeometricOp { public override string ToString() => $"elastic({Alpha:0.###},{Sigma:0.###})"; }

    /// <summary>The affine part of this op (identity for <see cref="Elastic"/>).</summary>
    public Affine2D ToAffine() => this switch
    {
        Rotate r => Affine2D.Rotate(r.Degrees),
        Shift s => Affine2D.Shift(s.Dx, s.Dy),
        Scale s => Affine2D.Scale(s.Factor),
        _ => Affine2D.Identity,
    };
}

/// <summary>An intensity-only operation (see <see cref="Photometric"/>); keypoints are never moved.</summary>
public abstract record PhotometricOp
{
    private PhotometricOp() { }

    /// <summary>v·Factor (brightness &gt; 1, dimming &lt; 1).</summary>
    public sealed record Multiply(double Factor) : PhotometricOp { public override string ToString() => $"mul({Factor:0.###})"; }
    /// <summary>Stretch the [Low, High] percentile range to 0..255.</summary>
    public sealed record ContrastStretch(double LowPercentile, double HighPercentile) : PhotometricOp { public override string ToString() => $"contrast({LowPercentile:0.###},{HighPercentile:0.###})"; }
    /// <summary>255·(v/255)^Exponent.</summary>
    public sealed record Gamma(double Exponent) : PhotometricOp { public override string ToString() => $"gamma({Exponent:0.###})"; }
    /// <summary>CLAHE with a skimage-style normalised clip limit.</summary>
    public sealed record Clahe(double ClipLimit, int TilesPerSide = 8) : PhotometricOp { public override string ToString() => $"clahe({ClipLimit:0.###})"; }
    /// <summary>Additive Gaussian noise with σ = Sigma·255.</summary>
    public sealed record Noise(double Sigma) : PhotometricOp { public override string ToString() => $"noise({Sigma:0.###})"; }
    /// <summary>One 3x3 sharpen pass of strength Amount.</summary>
    public sealed record Sharpen(double Amount) : PhotometricOp { public override string ToString() => $"sharpen({Amount:0.###})"; }
    /// <summary>Gaussian blur, σ in pixels.</summary>
    public sealed record Blur(double Sigma) : PhotometricOp { public override string ToString() => $"blur({Sigma:0.###})"; }
}
