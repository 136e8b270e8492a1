using System.Buffers.Binary;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels;

/// <summary>
/// One Q4_K super-block (256 values, 144 bytes: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins for 8 sub-blocks
/// of 32, 128 bytes of nibbles) encoded as ggml's quantize_row_q4_K_ref (make_qkx2_quants with nmax 15, rmin −1,
/// rdelta 0.1, 20 steps, squared error) and decoded as dequantize_row_q4_K: value = d·sc·q − dmin·m. Byte l of the
/// 32-byte group g holds element 64g + l in its low nibble and element 64g + 32 + l in its high nibble.
/// </summary>
internal static class Q4KCodec
{
    private const int Size = TensorDTypeInfo.Q4_KBlockSize;
    private const int ScalesAt = 4;
    private const int QuantsAt = 16;

    public static void Encode(ReadOnlySpan<float> x, Span<byte> block)
    {
        Span<byte> levels = stackalloc byte[Size];
        Span<byte> aux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> scales = stackalloc float[Size / 32];
        Span<float> mins = stackalloc float[Size / 32];
        float maxScale = 0f;
        float maxMin = 0f;
        for (int j = 0; j < Size / 32; j++)
        {
            ReadOnlySpan<float> sub = x.Slice(32 * j, 32);
            float sumX2 = 0f;
            foreach (float v in sub)
            {
                sumX2 += v * v;
            }

            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++)
            {
                weights[l] = avX + MathF.Abs(sub[l]);
            }

            scales[j] = MakeQkx2Quants(sub, weights, levels.Slice(32 * j, 32), out mins[j], aux);
            maxScale = Math.Max(maxScale, scales[j]);
            maxMin = Math.Max(maxMin, mins[j]);
        }

        block.Clear();
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        Span<byte> packed = block.Slice(ScalesAt, 12);
        for (int j = 0; j < Size / 32; j++)
        {
            // C stores nearest_int into a uint8_t before MIN(63, ·): the byte truncation is kept.
            int ls = Math.Min(63, (int)(byte)Q6KCodec.NearestInt(invScale * scales[j]));
            int lm = Math.Min(63, (int)(byte)Q6KCodec.NearestInt(invMin * mins[j]));
            if (j < 4)
            {
                packed[j] = (byte)ls;
                packed[j + 4] = (byte)lm;
            }
            else
            {
                packed[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte)((ls >> 4) << 6);
                packed[j] |= (byte)((lm >> 4) << 6);
            }
        }

        Half d = (Half)(maxScale / 63f);
        Half dmin = (Half)(maxMin / 63f);
        BinaryPrimitives.WriteHalfLittleEndian(block, d);
        BinaryPrimitives.WriteHalfLittleEndian(block[2..], dmin);

        // The quants are redone against the stored (rounded) d·sc and dmin·m; a zero d·sc keeps make_qkx2_quants' ones.
        for (int j = 0; j < Size / 32; j++)
        {
            (int sc, int m) = ScaleMin(block, j);
            float dj = (float)d * sc;
            if (dj == 0f)
            {
                continue;
            }

            float dm = (float)dmin * m;
            for (int ii = 0; ii < 32; ii++)
            {
                levels[(32 * j) + ii] = (byte)Math.Clamp(Q6KCodec.NearestInt((x[(32 * j) + ii] + dm) / dj), 0, 15);
            }
        }

        for (int g = 0; g < Size / 64; g++)
        {
            for (int l = 0; l < 32; l++)
            {
                block[QuantsAt + (32 * g) + l] = (byte)(levels[(64 * g) + l] | (levels[(64 * g) + 32 + l] << 4));
            }
        }
    }

    public static void Decode(ReadOnlySpan<byte> block, Span<float> y)
    {
        float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
        float dmin = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
        for (int j = 0; j < Size / 32; j++)
        {
            (int sc, int m) = ScaleMin(block, j);
            float dj = d * sc;
            float mj = dmin * m;
            for (int l = 0; l < 32; l++)
            {
                y[(32 * j) + l] = (dj * Quant(block, (32 * j) + l)) - mj;
            }
        }
    }

    /// <summary>Element i's stored 4-bit quant (0..15) in a super-block.</summary>
    public static int Quant(ReadOnlySpan<byte> block, int i)
    {
        byte pair = block[QuantsAt + (32 * (i / 64)) + (i % 32)];
        return i % 64 < 32 ? pair & 0xF : pair >> 4;
    }

    /// <summary>ggml's get_scale_min_k4: sub-block j's 6-bit scale and min from the 12 packed bytes.</summary>
    public static (int Scale, int Min) ScaleMin(ReadOnlySpan<byte> block, int j)
    {
        ReadOnlySpan<byte> q = block.Slice(ScalesAt, 12);
        return j < 4
            ? (q[j] & 63, q[j + 4] & 63)
            : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }

    /// <summary>
    /// make_qkx2_quants(32, 15, x, w, L, &amp;min, Laux, −1, 0.1, 20, false): fits x ≈ scale·L − min (min ≥ 0) with
    /// L in 0..15, trying iscale = (−1 + 0.1·is + 15)/(max − min) for is in 0..20 and keeping the least weighted
    /// squared error. Returns the scale; theMin is the (non-negative) offset.
    /// </summary>
    private static float MakeQkx2Quants(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> levels, out float theMin, Span<byte> aux)
    {
        const int NMax = 15;
        const float RMin = -1f;
        const float RDelta = 0.1f;
        const int NStep = 20;
        int n = x.Length;
        float min = x[0];
        float max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min)
            {
                min = x[i];
            }

            if (x[i] > max)
            {
                max = x[i];
            }

            sumW += weights[i];
            sumX += weights[i] * x[i];
        }

        if (min > 0)
        {
            min = 0;
        }

        if (max == min)
        {
            levels.Clear();
            theMin = -min;
            return 0f;
        }

        float iscale = NMax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0f;
        for (int i = 0; i < n; i++)
        {
            levels[i] = (byte)Math.Clamp(Q6KCodec.NearestInt(iscale * (x[i] - min)), 0, NMax);
            float diff = (scale * levels[i]) + min - x[i];
            bestError += weights[i] * diff * diff;
        }

        for (int step = 0; step <= NStep; step++)
        {
            iscale = (RMin + (RDelta * step) + NMax) / (max - min);
            float sumL = 0f;
            float sumL2 = 0f;
            float sumXL = 0f;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Clamp(Q6KCodec.NearestInt(iscale * (x[i] - min)), 0, NMax);
                aux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }

            float det = (sumW * sumL2) - (sumL * sumL);
            if (det > 0)
            {
                float thisScale = ((sumW * sumXL) - (sumX * sumL)) / det;
                float thisMin = ((sumL2 * sumX) - (sumL * sumXL)) / det;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }

                float error = 0f;
                for (int i = 0; i < n; i++)
                {
                    float diff = (thisScale * aux[i]) + thisMin - x[i];
                    error += weights[i] * diff * diff;
                }

                if (error < bestError)
                {
                    aux[..n].CopyTo(levels);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }

        theMin = -min;
        return scale;
    }
}
