using Fkd.Stages.Augment;

namespace Fkd.Stages.Tests.Augment;

/// <summary>What the seeds' elastic numbers mean in pixels on 96x96 (README: Kaggle-scale data in bounded memory).</summary>
public sealed class ElasticScaleTests
{
    private static double RmsDisplacement(double alpha, double sigma, int fields = 40)
    {
        double sum2 = 0; long n = 0;
        for (var t = 0; t < fields; t++)
        {
            var rng = Rng.For(7, (UInt128)t, 3);
            var f = DisplacementField.Random(alpha, sigma, ref rng);
            for (var k = 0; k < f.Dx.Length; k++) { sum2 += f.Dx[k] * f.Dx[k] + f.Dy[k] * f.Dy[k]; n++; }
        }
        return Math.Sqrt(sum2 / n);
    }

    [Fact]
    public void The_seeds_991_8_moves_pixels_by_tens_of_pixels_and_alpha_100_by_a_few()
    {
        Assert.InRange(RmsDisplacement(991, 8), 20, 35);   // ~27 px: a third of the image
        Assert.InRange(RmsDisplacement(1201, 11), 17, 30); // ~23 px
        Assert.InRange(RmsDisplacement(100, 8), 2, 3.5);   // ~2.7 px: kaggle-scale.json's choice
    }
}
