namespace Fkd.Stages.Augment;

/// <summary>
/// xoshiro256** generator, a mutable struct owned by one call: randomness in the augmenter comes
/// only from an <see cref="Rng"/> built by <see cref="For"/> from (seed, image hash, variant index),
/// so outputs never depend on threads or call order.
/// </summary>
public struct Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    public Rng(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        _spare = 0; _hasSpare = false;
    }

    /// <summary>The generator for one (seed, image, variant) triple.</summary>
    public static Rng For(long seed, UInt128 imageHash, int variantIndex)
    {
        var x = (ulong)seed;
        var h = SplitMix(ref x);
        h ^= Mix((ulong)imageHash + 0x9E3779B97F4A7C15UL);
        h = Mix(h) ^ Mix((ulong)(imageHash >> 64) ^ 0xD1B54A32D192ED03UL);
        h = Mix(h ^ ((ulong)(uint)variantIndex * 0xA24BAED4963EE407UL));
        return new Rng(h);
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        return Mix(x);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t; _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    public int NextInt(int n) => (int)((NextULong() >> 33) * (ulong)n >> 31);

    /// <summary>Standard normal (Marsaglia polar method).</summary>
    public double NextGaussian()
    {
        if (_hasSpare) { _hasSpare = false; return _spare; }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1; v = 2 * NextDouble() - 1; s = u * u + v * v;
        } while (s >= 1 || s == 0);
        var m = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * m; _hasSpare = true;
        return u * m;
    }
}
