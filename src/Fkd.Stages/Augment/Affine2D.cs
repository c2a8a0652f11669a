namespace Fkd.Stages.Augment;

/// <summary>
/// A 2x3 affine map in pixel-index coordinates (the centre of pixel column i, row j is (i, j)):
/// <c>x' = A·x + B·y + C</c>, <c>y' = D·x + E·y + F</c>.
/// <para>
/// This is the ONE geometric model used for both pixels and keypoints: keypoints are mapped
/// forward with <see cref="Apply"/>; pixels are produced by mapping every output pixel centre
/// through <see cref="Inverse"/> and sampling the source there (see <see cref="Warp"/>).
/// </para>
/// <para>
/// <see cref="Apply"/> computes both output coordinates from the ORIGINAL (x, y); it never reuses
/// an already-transformed x to compute y (the bug of one public version of the 2nd-place code).
/// </para>
/// <para>
/// Image-centred maps (rotation, scale) are about <see cref="Centre"/> = (47.5, 47.5): with pixel
/// centres at 0..95 that is the geometric centre of the 96x96 image, and the fixed point of the
/// horizontal flip x → 95 − x.
/// </para>
/// </summary>
public readonly record struct Affine2D(double A, double B, double C, double D, double E, double F)
{
    /// <summary>Image centre in pixel-index units: (95 / 2, 95 / 2).</summary>
    public const double Centre = (Faces.Keypoints.ImageSide - 1) / 2.0;

    public static Affine2D Identity => new(1, 0, 0, 0, 1, 0);

    /// <summary>Horizontal mirror x → 95 − x (y unchanged). Its own inverse, exactly.</summary>
    public static Affine2D FlipHorizontal => new(-1, 0, 2 * Centre, 0, 1, 0);

    /// <summary>Translation by (dx, dy) pixels (positive dx moves content right, positive dy down).</summary>
    public static Affine2D Shift(double dx, double dy) => new(1, 0, dx, 0, 1, dy);

    /// <summary>Uniform scale by <paramref name="s"/> about the image centre (s &gt; 1 enlarges the content).</summary>
    public static Affine2D Scale(double s) => new(s, 0, Centre * (1 - s), 0, s, Centre * (1 - s));

    /// <summary>
    /// Rotation by <paramref name="degrees"/> about the image centre (47.5, 47.5). Positive angles turn the
    /// content counter-clockwise as displayed (y axis points down), like skimage.transform.rotate:
    /// <c>x' = cx + cosθ·(x−cx) + sinθ·(y−cy)</c>, <c>y' = cy − sinθ·(x−cx) + cosθ·(y−cy)</c>.
    /// </summary>
    public static Affine2D Rotate(double degrees)
    {
        var t = degrees * Math.PI / 180.0;
        var (s, c) = Math.SinCos(t);
        // Exact values for multiples of 90 degrees keep lattice maps exact.
        if (degrees % 90 == 0) { s = Math.Round(s); c = Math.Round(c); }
        const double cx = Centre, cy = Centre;
        return new Affine2D(c, s, cx - c * cx - s * cy, -s, c, cy + s * cx - c * cy);
    }

    /// <summary>The map "apply this, then <paramref name="next"/>" (i.e. next ∘ this).</summary>
    public Affine2D Then(Affine2D next) => new(
        next.A * A + next.B * D, next.A * B + next.B * E, next.A * C + next.B * F + next.C,
        next.D * A + next.E * D, next.D * B + next.E * E, next.D * C + next.E * F + next.F);

    public double Determinant => A * E - B * D;

    /// <summary>The inverse map; throws if the map is singular.</summary>
    public Affine2D Inverse()
    {
        var det = Determinant;
        if (Math.Abs(det) < 1e-12) throw new InvalidOperationException("Singular affine map.");
        var ia = E / det; var ib = -B / det; var id = -D / det; var ie = A / det;
        return new Affine2D(ia, ib, -(ia * C + ib * F), id, ie, -(id * C + ie * F));
    }

    /// <summary>Maps a point; both outputs are computed from the original (x, y).</summary>
    public (double X, double Y) Apply(double x, double y) => (A * x + B * y + C, D * x + E * y + F);

    /// <summary>True when this map sends the pixel lattice onto itself (flips, 90° turns, integer shifts).</summary>
    public bool IsLattice =>
        IsUnit(A) && IsUnit(B) && IsUnit(D) && IsUnit(E) && Math.Abs(A * E - B * D) == 1
        && C == Math.Round(C) && F == Math.Round(F);

    private static bool IsUnit(double v) => v == 0 || v == 1 || v == -1;
}
