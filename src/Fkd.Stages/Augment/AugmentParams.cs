using LanguageExt;
using static Fkd.Flow.Stages.ParamRules;

namespace Fkd.Stages.Augment;

/// <summary>grid: enumerate the variants; random: random draws per image.</summary>
public enum AugmentMode { Grid, Random }

/// <summary>grid only: each option alone (single) or the cartesian product flip × geometric × photometric.</summary>
public enum CombineMode { Single, Product }

/// <summary>Which rows are augmented: all, or only those with all 15 keypoints (the others are kept as they are).</summary>
public enum AugmentRows { All, Full }

/// <summary>
/// The augment stage's parameters, and the one description of a recipe: <see cref="Recipe.Variants"/> turns
/// it into concrete variants. Three axes of options:
/// <list type="bullet">
/// <item><b>flip</b>: horizontal mirror x → 95 − x with left/right keypoints swapped.</item>
/// <item><b>geometric</b>: one option per rotation (degrees about the image centre (47.5, 47.5), positive =
/// counter-clockwise as displayed), per shift magnitude s (four options: (±s, 0) and (0, ±s) px), per scale
/// (about the centre) and per elastic (alpha, sigma) pair.</item>
/// <item><b>photometric</b>: one option per brightness factor (1.2/1.5 brighten, 0.6/0.8 dim), contrast
/// percentile p (stretches [p, 100 − p] to 0..255), gamma exponent, the CLAHE clip limit (one option when
/// above 0), noise σ (fraction of 255), sharpen amount (1 = one 3x3 pass) and blur σ (px).</item>
/// </list>
/// Grid mode with <see cref="CombineMode.Product"/> gives flip × (none + each geometric) × (none + each
/// photometric); with <see cref="CombineMode.Single"/> each option is one variant (flip counts as one).
/// Random mode gives <see cref="RandomDraws"/> variants per image (plus the original when kept), each
/// drawn from the PRNG seeded by (seed, image hash, variant index).
/// </summary>
public sealed record AugmentParams : IStageParams
{
    [Param("flip", "horizontal flip with the left/right keypoint swap")]
    public bool Flip { get; init; } = true;

    [Param("rotations", "rotation angles in degrees about the image centre")]
    public ImmutableArray<double> Rotations { get; init; } = [];

    [Param("shifts", "shift magnitudes in px (each gives ±x and ±y)")]
    public ImmutableArray<double> Shifts { get; init; } = [];

    [Param("scales", "scale factors about the image centre")]
    public ImmutableArray<double> Scales { get; init; } = [];

    [Param("elastic", "elastic deformations as alpha,sigma pairs, e.g. [991, 8, 1201, 11]")]
    public ImmutableArray<double> Elastic { get; init; } = [];

    [Param("brightness", "multiplicative brightness factors (>1 brighten, <1 dim)")]
    public ImmutableArray<double> Brightness { get; init; } = [];

    [Param("contrast", "contrast stretches: percentile p maps [p, 100-p] to 0..255")]
    public ImmutableArray<double> Contrast { get; init; } = [];

    [Param("gamma", "gamma exponents")]
    public ImmutableArray<double> Gamma { get; init; } = [];

    [Param("clahe", "CLAHE clip limit (0 = off; the seeds used 0.03)", Min = 0)]
    public double Clahe { get; init; }

    [Param("noise_sigma", "Gaussian noise sigma as a fraction of 255")]
    public ImmutableArray<double> NoiseSigma { get; init; } = [];

    [Param("sharpen", "sharpen amounts (1 = one 3x3 pass)")]
    public ImmutableArray<double> Sharpen { get; init; } = [];

    [Param("blur", "Gaussian blur sigma in px")]
    public ImmutableArray<double> Blur { get; init; } = [];

    [Param("mode", "grid: enumerate variants; random: random draws per image")]
    public AugmentMode Mode { get; init; } = AugmentMode.Grid;

    [Param("combine", "grid only: each option alone (single) or the cartesian product")]
    public CombineMode Combine { get; init; } = CombineMode.Single;

    [Param("include_original", "keep the untouched image")]
    public bool IncludeOriginal { get; init; } = true;

    [Param("random_draws", "random mode: variants per image", Min = 1)]
    public int RandomDraws { get; init; } = 4;

    [Param("out_of_image", "a variant pushing a labelled keypoint out of the image: drop it or mark the keypoint missing")]
    public OutOfImagePolicy OutOfImage { get; init; } = OutOfImagePolicy.Drop;

    [Param("interpolation", "pixel interpolation")]
    public Interpolation Interpolation { get; init; } = Interpolation.Bilinear;

    [Param("rows", "augment all rows, or only rows with all 15 keypoints (others kept as they are)")]
    public AugmentRows Rows { get; init; } = AugmentRows.All;

    [Param("seed", "seed of every random choice (with the image hash and variant)")]
    public long Seed { get; init; } = 7;

    [Param("threads", "worker threads (0 = all cores); does not change the output", Min = 0)]
    public int Threads { get; init; }

    /// <summary>The elastic list read as (alpha, sigma) pairs.</summary>
    public ImmutableArray<(double Alpha, double Sigma)> ElasticPairs =>
        [.. Enumerable.Range(0, Elastic.Length / 2).Select(i => (Elastic[2 * i], Elastic[2 * i + 1]))];

    public Validation<ParamProblem, Unit> Rules() => All(
        Check(Elastic.Length % 2 == 0, "elastic", $"alpha,sigma pairs (an even count), found {Elastic.Length} values"),
        Each(ElasticPairs, "elastic", e => e.Sigma > 0, "a sigma > 0 in every pair"),
        Each(Scales, "scales", s => s > 0, "a factor > 0"),
        Each(Brightness, "brightness", f => f >= 0, "a factor >= 0"),
        Each(Contrast, "contrast", p => p >= 0 && p < 50, "a percentile in [0, 50)"),
        Each(Gamma, "gamma", g => g > 0, "an exponent > 0"),
        Each(NoiseSigma, "noise_sigma", s => s >= 0, "a sigma >= 0"),
        Each(Blur, "blur", s => s >= 0, "a sigma >= 0"));

    /// <summary>flip × rotations ±5/9/13° × brightness ×1.2/×1.5 and dimming ×0.6/×0.8, as a product: 70 variants (<c>bench augment</c>'s recipe).</summary>
    public static AugmentParams FlipRotateBrightness { get; } = new()
    {
        Rotations = [-13, -9, -5, 5, 9, 13], Brightness = [1.2, 1.5, 0.6, 0.8], Combine = CombineMode.Product,
    };

    /// <summary>The 2nd-place team's list, each augmentation on its own (grid, single), bicubic.</summary>
    public static AugmentParams SecondPlace { get; } = new()
    {
        Rotations = [-13, -9, -5, 5, 9, 13], Shifts = [2], Elastic = [991, 8, 1201, 11],
        Brightness = [1.2, 1.5, 0.6, 0.8], Contrast = [2], Clahe = 0.03, NoiseSigma = [0.03], Sharpen = [1],
        Interpolation = Interpolation.Bicubic,
    };
}
