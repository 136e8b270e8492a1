namespace SharpServe.Engine.Creation;

/// <summary>
/// Deterministic uniform random numbers for one tensor (xoshiro256**), seeded from the model seed
/// and the tensor's name, so every tensor's values are independent of the order tensors are
/// written in and of the file format: an HF and a GGUF model with the same seed hold the same numbers.
/// </summary>
internal sealed class TensorRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public TensorRandom(ulong seed, string tensorName)
    {
        ulong state = seed ^ Fnv1a(tensorName);
        _s0 = SplitMix(ref state);
        _s1 = SplitMix(ref state);
        _s2 = SplitMix(ref state);
        _s3 = SplitMix(ref state);
    }

    /// <summary>Fills <paramref name="values"/> with mean + uniform noise of standard deviation <paramref name="std"/>.</summary>
    public void Fill(Span<float> values, float mean, float std)
    {
        // A uniform variable on [-a, a] has standard deviation a / sqrt(3).
        float halfWidth = std * MathF.Sqrt(3f);
        for (int i = 0; i < values.Length; i++)
        {
            float unit = (Next() >> 40) * (1f / (1 << 24)); // [0, 1) with 24 random bits
            values[i] = mean + (2f * unit - 1f) * halfWidth;
        }
    }

    private ulong Next()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    private static ulong SplitMix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string text)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }

        return hash;
    }
}
