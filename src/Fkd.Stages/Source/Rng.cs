namespace Fkd.Stages.Source;

/// <summary>
/// Small deterministic PRNG (SplitMix64). Each generated row gets its own instance derived from
/// (seed, stream, index), so results do not depend on thread scheduling.
/// </summary>
internal struct Rng
{
    private ulong _state;

    public Rng(long seed, int stream, long index)
    {
        _state = Mix((ulong)seed ^ Mix(((ulong)(uint)stream << 40) ^ (ulong)index ^ 0x5851F42D4C957F2DUL));
    }

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [0, n).</summary>
    public int Int(int n) => (int)((NextULong() >> 33) * (ulong)n >> 31);

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box–Muller, one value per call).</summary>
    public double Normal()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public void Shuffle<T>(T[] a)
    {
        for (var i = a.Length - 1; i > 0; i--)
        {
            var j = Int(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}

/// <summary>Table of standard-normal quantiles so pixel noise costs one table read per pixel.</summary>
internal static class NormalTable
{
    public const int Bits = 16;
    public static readonly float[] Values = Build();

    private static float[] Build()
    {
        var n = 1 << Bits;
        var t = new float[n];
        for (var k = 0; k < n; k++) t[k] = (float)InverseNormalCdf((k + 0.5) / n);
        return t;
    }

    // Acklam's rational approximation (relative error < 1.2e-9).
    private static double InverseNormalCdf(double p)
    {
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double pLow = 0.02425;
        if (p < pLow)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - pLow)
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        {
            var q = p - 0.5;
            var r = q * q;
            return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        }
    }
}
