namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Activations for K-quant weights as ggml's quantize_row_q8_K_ref makes them: per 256 values, with max the value of
/// largest magnitude (sign kept, first one on ties), q = min(127, nearest_int(x · −127/max)); an all-zero block stores
/// d = 0 and zero quants. One measured deviation from the C text: d = max / −127, not 1 / (−127/max) (they differ in
/// the last bit). With 1/iscale the Q6_K logits were up to 0.38 off llama.cpp (LLamaSharp 0.30.0) at 34 of 64 positions
/// of the oracle test; with max / −127 all 64 agree within 7.6e-6. Presumably that build computes the reciprocal
/// differently (e.g. under reciprocal-math); not traced further. The bsums are not kept: the Q6_K dot sums the
/// offset (q − 32) directly, which gives the same exact integers.
/// </summary>
internal static unsafe class Q8KActivations
{
    public const int BlockSize = 256;

    /// <summary>q[0, columns) and d[0, columns / 256) from x[0, columns); columns is a multiple of 256.</summary>
    public static void Quantize(float* x, int columns, sbyte* q, float* d)
    {
        for (int b = 0; b < columns / BlockSize; b++, x += BlockSize, q += BlockSize)
        {
            float max = 0f;
            float amax = 0f;
            for (int j = 0; j < BlockSize; j++)
            {
                if (MathF.Abs(x[j]) > amax)
                {
                    amax = MathF.Abs(x[j]);
                    max = x[j];
                }
            }

            if (amax == 0f)
            {
                d[b] = 0f;
                new Span<sbyte>(q, BlockSize).Clear();
                continue;
            }

            float iscale = -127f / max;
            for (int j = 0; j < BlockSize; j++)
            {
                q[j] = (sbyte)Math.Min(127, Q6KCodec.NearestInt(iscale * x[j]));
            }

            d[b] = max / -127f;
        }
    }
}
