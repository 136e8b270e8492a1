using System.Buffers.Binary;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels;

/// <summary>
/// One Q6_K super-block (256 values, 210 bytes: ql[128], qh[64], int8 scales[16], fp16 d) encoded as ggml's
/// quantize_row_q6_K_ref (with its make_qx_quants scale search) and decoded as dequantize_row_q6_K. The 6-bit quant of
/// element 128h + 32k + l (h half, k quarter, l &lt; 32) has its low nibble in ql[64h + 32(k &amp; 1) + l] (high nibble
/// when k ≥ 2) and its top two bits at bit 2k of qh[32h + l].
/// </summary>
internal static class Q6KCodec
{
    private const int Size = TensorDTypeInfo.Q6_KBlockSize;
    private const int ScalesAt = 192;
    private const int DAt = 208;

    /// <summary>ggml's GROUP_MAX_EPS: sub-blocks (and super-blocks) whose scale is below it are stored as zeros.</summary>
    private const float GroupMaxEps = 1e-15f;

    public static void Encode(ReadOnlySpan<float> x, Span<byte> block)
    {
        Span<sbyte> quants = stackalloc sbyte[Size];
        Span<float> scales = stackalloc float[Size / 16];
        float maxScale = 0f;
        float maxAbsScale = 0f;
        for (int ib = 0; ib < Size / 16; ib++)
        {
            float scale = MakeQxQuants(x.Slice(16 * ib, 16), quants.Slice(16 * ib, 16));
            scales[ib] = scale;
            if (MathF.Abs(scale) > maxAbsScale)
            {
                maxAbsScale = MathF.Abs(scale);
                maxScale = scale;
            }
        }

        block.Clear();
        if (maxAbsScale < GroupMaxEps)
        {
            return;
        }

        float iscale = -128f / maxScale;
        Half d = (Half)(1 / iscale);
        BinaryPrimitives.WriteHalfLittleEndian(block[DAt..], d);
        for (int ib = 0; ib < Size / 16; ib++)
        {
            block[ScalesAt + ib] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
        }

        // The sub-block quants are redone against the stored (rounded) d·scale; a zero scale keeps make_qx_quants' ones.
        for (int j = 0; j < Size / 16; j++)
        {
            float dj = (float)d * (sbyte)block[ScalesAt + j];
            if (dj == 0f)
            {
                continue;
            }

            for (int ii = 0; ii < 16; ii++)
            {
                int l = NearestInt(x[(16 * j) + ii] / dj);
                quants[(16 * j) + ii] = (sbyte)(Math.Clamp(l, -32, 31) + 32);
            }
        }

        for (int h = 0; h < 2; h++)
        {
            Span<byte> ql = block.Slice(64 * h, 64);
            Span<byte> qh = block.Slice(128 + (32 * h), 32);
            ReadOnlySpan<sbyte> q = quants.Slice(128 * h, 128);
            for (int l = 0; l < 32; l++)
            {
                ql[l] = (byte)((q[l] & 0xF) | ((q[l + 64] & 0xF) << 4));
                ql[l + 32] = (byte)((q[l + 32] & 0xF) | ((q[l + 96] & 0xF) << 4));
                qh[l] = (byte)((q[l] >> 4) | ((q[l + 32] >> 4) << 2) | ((q[l + 64] >> 4) << 4) | ((q[l + 96] >> 4) << 6));
            }
        }
    }

    public static void Decode(ReadOnlySpan<byte> block, Span<float> y)
    {
        float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block[DAt..]);
        for (int i = 0; i < Size; i++)
        {
            y[i] = d * (sbyte)block[ScalesAt + (i / 16)] * (Quant(block, i) - 32);
        }
    }

    /// <summary>Element i's stored 6-bit quant (0..63) in a super-block.</summary>
    public static int Quant(ReadOnlySpan<byte> block, int i)
    {
        int h = i / 128;
        int k = i % 128 / 32;
        int l = i % 32;
        byte low = block[(64 * h) + (32 * (k & 1)) + l];
        int nibble = k < 2 ? low & 0xF : low >> 4;
        return nibble | (((block[128 + (32 * h) + l] >> (2 * k)) & 3) << 4);
    }

    /// <summary>
    /// ggml's nearest_int: adding 1.5·2²³ leaves the integer in the mantissa, rounded to nearest, ties to even
    /// (valid for |x| ≤ 4194303, which every caller's clamp-bound quotient satisfies).
    /// </summary>
    internal static int NearestInt(float x)
    {
        float shifted = x + 12582912f;
        return (BitConverter.SingleToInt32Bits(shifted) & 0x007FFFFF) - 0x00400000;
    }

    /// <summary>
    /// make_qx_quants(16, 32, x, L, rmse_type 1, no weights): the scale of 16 values, with L their quants + 32.
    /// It tries iscale = −(32 + 0.1·is)/max for is in −9..9 and keeps the one that maximizes (Σwxl)²/Σwl² with w = x².
    /// </summary>
    private static float MakeQxQuants(ReadOnlySpan<float> x, Span<sbyte> quants)
    {
        const int NMax = 32;
        float max = 0f;
        float amax = 0f;
        foreach (float v in x)
        {
            if (MathF.Abs(v) > amax)
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }

        if (amax < GroupMaxEps)
        {
            quants.Clear();
            return 0f;
        }

        float iscale = -NMax / max;
        float sumlx = 0f;
        float suml2 = 0f;
        for (int i = 0; i < x.Length; i++)
        {
            int l = Math.Clamp(NearestInt(iscale * x[i]), -NMax, NMax - 1);
            quants[i] = (sbyte)(l + NMax);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }

        float scale = suml2 != 0f ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int step = -9; step <= 9; step++)
        {
            if (step == 0)
            {
                continue;
            }

            iscale = -(NMax + (0.1f * step)) / max;
            sumlx = 0f;
            suml2 = 0f;
            for (int i = 0; i < x.Length; i++)
            {
                int l = Math.Clamp(NearestInt(iscale * x[i]), -NMax, NMax - 1);
                float w = x[i] * x[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }

            if (suml2 > 0f && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < x.Length; i++)
                {
                    quants[i] = (sbyte)(NMax + Math.Clamp(NearestInt(iscale * x[i]), -NMax, NMax - 1));
                }

                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }

        return scale;
    }
}
