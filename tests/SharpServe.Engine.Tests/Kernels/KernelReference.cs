using System.Buffers.Binary;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>
/// Plain scalar references for the kernel tests, written independently of the engine's code
/// (own decoding, double accumulation), plus random test data.
/// </summary>
internal static class KernelReference
{
    /// <summary>Every vector tier this machine runs, for [MemberData].</summary>
    public static TheoryData<SimdTier> Tiers
    {
        get
        {
            var data = new TheoryData<SimdTier>();
            foreach (var tier in SimdTiers.Supported)
            {
                data.Add(tier);
            }

            return data;
        }
    }

    public static float[] RandomFloats(Random random, int count, float scale = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = ((random.NextSingle() * 2) - 1) * scale;
        }

        return values;
    }

    /// <summary>Random values stored exactly by every dtype's encoder except Q8_0 and Q4_0 (bf16-representable, within half range).</summary>
    public static float[] RandomBf16Floats(Random random, int count, float scale = 1f)
    {
        var values = RandomFloats(random, count, scale);
        for (int i = 0; i < count; i++)
        {
            values[i] = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(values[i]) & 0xFFFF0000);
        }

        return values;
    }

    /// <summary>Decodes stored weights to double with the test's own arithmetic (not WeightCodec).</summary>
    public static double[] Decode(TensorDType type, byte[] data, int elements)
    {
        var values = new double[elements];
        for (int i = 0; i < elements; i++)
        {
            values[i] = type switch
            {
                TensorDType.F32 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(4 * i))),
                TensorDType.F16 => (double)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(2 * i))),
                TensorDType.BF16 => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(2 * i)) << 16),
                TensorDType.Q8_0 => Q8Scale(data, i / 32) * (sbyte)data[(i / 32 * 34) + 2 + (i % 32)],
                TensorDType.Q4_0 => Q4Scale(data, i / 32) * (Q4Nibble(data, i) - 8),
                TensorDType.Q6_K => (double)Q6Scale(data, i / 256) * Q6SubScale(data, i) * (Q6Quant(data, i) - 32),
                TensorDType.Q4_K => ((double)Q4KHalf(data, i / 256, 0) * Q4KSubScale(data, i, 0) * Q4KQuant(data, i))
                    - ((double)Q4KHalf(data, i / 256, 2) * Q4KSubScale(data, i, 4)),
                _ => throw new ArgumentOutOfRangeException(nameof(type)),
            };
        }

        return values;
    }

    /// <summary>The fp16 scale of Q8_0 block b, as f32.</summary>
    public static float Q8Scale(byte[] data, int block) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(block * 34)));

    /// <summary>The fp16 scale of Q4_0 block b (18 bytes each), as f32.</summary>
    public static float Q4Scale(byte[] data, int block) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(block * 18)));

    /// <summary>Element i's 4-bit quant: the block's first 16 elements are the low nibbles of its 16 bytes, the last 16 the high ones.</summary>
    public static int Q4Nibble(byte[] data, int i)
    {
        int j = i % 32;
        byte packed = data[(i / 32 * 18) + 2 + (j % 16)];
        return j < 16 ? packed & 0x0F : packed >> 4;
    }

    /// <summary>The fp16 d of Q6_K super-block b (210 bytes each, d last), as f32.</summary>
    public static float Q6Scale(byte[] data, int block) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((block * 210) + 208)));

    /// <summary>The int8 scale of element i's 16-value sub-block.</summary>
    public static int Q6SubScale(byte[] data, int i) => (sbyte)data[(i / 256 * 210) + 192 + (i % 256 / 16)];

    /// <summary>
    /// Element i's 6-bit quant: in each 128-value half, value 32k + l (k &lt; 4) has its low 4 bits in ql byte
    /// 32·(k mod 2) + l (low nibble for k &lt; 2, high for k ≥ 2) and bits 4–5 in bits 2k..2k+1 of qh byte l.
    /// </summary>
    public static int Q6Quant(byte[] data, int i)
    {
        int block = i / 256 * 210;
        int half = i % 256 / 128;
        int k = i % 128 / 32;
        int l = i % 32;
        byte low = data[block + (64 * half) + (32 * (k % 2)) + l];
        byte high = data[block + 128 + (32 * half) + l];
        return (k < 2 ? low & 0x0F : low >> 4) | (((high >> (2 * k)) & 3) << 4);
    }

    /// <summary>
    /// ggml's quantize_row_q8_K_ref: per 256 values q = min(127, round-half-even(x·−127/max)) (signed max), and d = max/−127
    /// (the reference writes 1/iscale; llama.cpp's build agrees with max/−127, see Q8KActivations), or with
    /// <paramref name="reciprocalScale"/> d = 1/iscale (ggml_quantize_mat_q8_K_4x8, the repacked Q4_K GEMM's activations).
    /// </summary>
    public static (sbyte[] Quants, float[] Scales) QuantizeActivationsQ8K(ReadOnlySpan<float> x, bool reciprocalScale = false)
    {
        var quants = new sbyte[x.Length];
        var scales = new float[x.Length / 256];
        for (int b = 0; b < scales.Length; b++)
        {
            float max = 0, amax = 0;
            for (int j = 0; j < 256; j++)
            {
                float v = x[(b * 256) + j];
                if (Math.Abs(v) > amax)
                {
                    amax = Math.Abs(v);
                    max = v;
                }
            }

            if (amax == 0)
            {
                continue;
            }

            float iscale = -127f / max;
            for (int j = 0; j < 256; j++)
            {
                quants[(b * 256) + j] = (sbyte)Math.Min(127, (int)MathF.Round(iscale * x[(b * 256) + j], MidpointRounding.ToEven));
            }

            scales[b] = reciprocalScale ? 1f / iscale : max / -127f;
        }

        return (quants, scales);
    }

    /// <summary>
    /// llama.cpp's AVX2 ggml_vec_dot_q6_K_q8_K: activations to Q8_K; per (row, token) and super-block, int32 lane k
    /// = Σ scale·q8·(q6 − 32) over elements 32c + 4k .. 32c + 4k + 3 for every 32-value chunk c; then
    /// lane = fma(x.d·w.d, lane sum, lane) in block order, hsum_float_8 and the bias add.
    /// </summary>
    public static float[] MatMulQ6K(byte[] w, float[] bias, float[] x, int rows, int columns, int tokens)
    {
        int blocks = columns / 256;
        var y = new float[tokens * rows];
        var lanes = new float[8];
        for (int t = 0; t < tokens; t++)
        {
            var (xq, xd) = QuantizeActivationsQ8K(x.AsSpan(t * columns, columns));
            for (int o = 0; o < rows; o++)
            {
                Array.Clear(lanes);
                for (int b = 0; b < blocks; b++)
                {
                    int first = ((o * blocks) + b) * 256;
                    float d = xd[b] * Q6Scale(w, first / 256);
                    for (int k = 0; k < 8; k++)
                    {
                        int dot = 0;
                        for (int c = 0; c < 8; c++)
                        {
                            for (int m = 0; m < 4; m++)
                            {
                                int e = (32 * c) + (4 * k) + m;
                                dot += Q6SubScale(w, first + e) * xq[(b * 256) + e] * (Q6Quant(w, first + e) - 32);
                            }
                        }

                        lanes[k] = MathF.FusedMultiplyAdd(d, dot, lanes[k]);
                    }
                }

                float sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
                y[(t * rows) + o] = bias.Length == 0 ? sum : sum + bias[o];
            }
        }

        return y;
    }

    /// <summary>Q4_K super-block b's fp16 d (offset 0) or dmin (offset 2), as f32 (144 bytes a block).</summary>
    public static float Q4KHalf(byte[] data, int block, int offset) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((block * 144) + offset)));

    /// <summary>
    /// The 6-bit scale (which 0) or min (which 4) of element i's 32-value sub-block j: the 12 bytes from offset 4 hold
    /// sub-blocks 0–3 in the low 6 bits of bytes which + j; sub-blocks 4–7 take their low 4 bits from a nibble of byte
    /// 8 + (j − 4) (low for scales, high for mins) and their top 2 bits from bits 6–7 of byte which + j − 4.
    /// </summary>
    public static int Q4KSubScale(byte[] data, int i, int which)
    {
        int scales = (i / 256 * 144) + 4;
        int j = i % 256 / 32;
        if (j < 4)
        {
            return data[scales + which + j] & 63;
        }

        int nibble = which == 0 ? data[scales + 8 + j - 4] & 0xF : data[scales + 8 + j - 4] >> 4;
        return nibble | ((data[scales + which + j - 4] >> 6) << 4);
    }

    /// <summary>Element i's 4-bit quant: 64-value group g = i/64 has 32 bytes; the first 32 values are their low nibbles, the next 32 the high ones.</summary>
    public static int Q4KQuant(byte[] data, int i)
    {
        byte packed = data[(i / 256 * 144) + 16 + (32 * (i % 256 / 64)) + (i % 32)];
        return i % 64 < 32 ? packed & 0x0F : packed >> 4;
    }

    /// <summary>
    /// llama.cpp's AVX2 ggml_vec_dot_q4_K_q8_K: activations to Q8_K; per (row, token) and super-block, int32 lane k
    /// = Σ sc·q8·q4 over elements 32c + 4k .. 32c + 4k + 3 for every 32-value chunk c, lane = fma(x.d·w.d, lane sum,
    /// lane); min lane k = fma(−x.d·w.dmin, m[2k]·s[2k] + m[2k+1]·s[2k+1], min lane) with s[c] the q8 sum of chunk c;
    /// then hsum_float_8(lanes) + ((min0 + min2) + (min1 + min3)) and the bias add.
    /// </summary>
    public static float[] MatMulQ4K(byte[] w, float[] bias, float[] x, int rows, int columns, int tokens)
    {
        int blocks = columns / 256;
        var y = new float[tokens * rows];
        var lanes = new float[8];
        var minLanes = new float[4];
        for (int t = 0; t < tokens; t++)
        {
            var (xq, xd) = QuantizeActivationsQ8K(x.AsSpan(t * columns, columns));
            for (int o = 0; o < rows; o++)
            {
                Array.Clear(lanes);
                Array.Clear(minLanes);
                for (int b = 0; b < blocks; b++)
                {
                    int first = ((o * blocks) + b) * 256;
                    float d = xd[b] * Q4KHalf(w, first / 256, 0);
                    for (int k = 0; k < 8; k++)
                    {
                        int dot = 0;
                        for (int c = 0; c < 8; c++)
                        {
                            for (int m = 0; m < 4; m++)
                            {
                                int e = (32 * c) + (4 * k) + m;
                                dot += Q4KSubScale(w, first + e, 0) * xq[(b * 256) + e] * Q4KQuant(w, first + e);
                            }
                        }

                        lanes[k] = MathF.FusedMultiplyAdd(d, dot, lanes[k]);
                    }

                    float dMin = -xd[b] * Q4KHalf(w, first / 256, 2);
                    for (int k = 0; k < 4; k++)
                    {
                        int prod = 0;
                        for (int c = 2 * k; c < (2 * k) + 2; c++)
                        {
                            int chunkSum = 0;
                            for (int e = 32 * c; e < (32 * c) + 32; e++)
                            {
                                chunkSum += xq[(b * 256) + e];
                            }

                            prod += Q4KSubScale(w, first + (32 * c), 4) * chunkSum;
                        }

                        minLanes[k] = MathF.FusedMultiplyAdd(dMin, prod, minLanes[k]);
                    }
                }

                float sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
                sum += (minLanes[0] + minLanes[2]) + (minLanes[1] + minLanes[3]);
                y[(t * rows) + o] = bias.Length == 0 ? sum : sum + bias[o];
            }
        }

        return y;
    }

    /// <summary>
    /// The K-quant panel GEMM's order (<see cref="SharpServe.Engine.Kernels.MatMul.KPanelTile"/>, llama.cpp's repacked
    /// ggml_gemm_q4_K_8x8_q8_K), which the engine follows from <see cref="SharpServe.Engine.Kernels.CpuKernels.PanelMinTokens"/>
    /// tokens: activations to Q8_K (Q4_K tokens in whole groups of 4 with d = 1/iscale, as llama.cpp quantizes them for that
    /// GEMM); per (row, token), super-block and 64 values in order, the exact integer
    /// main = Σ sc·q8·q (Q6_K: q − 32) over the 64 values, f = fma(w.d·x.d, main, f); Q4_K also min = Σ m·q8 over them,
    /// g = fma(w.dmin·x.d, min, g); then f − g and the bias add.
    /// </summary>
    public static float[] MatMulKPanel(TensorDType type, byte[] w, float[] bias, float[] x, int rows, int columns, int tokens)
    {
        bool q4k = type == TensorDType.Q4_K;
        int blocks = columns / 256;
        var y = new float[tokens * rows];
        for (int t = 0; t < tokens; t++)
        {
            var (xq, xd) = QuantizeActivationsQ8K(x.AsSpan(t * columns, columns), reciprocalScale: q4k && t < tokens - (tokens % 4));
            for (int o = 0; o < rows; o++)
            {
                float f = 0, g = 0;
                for (int b = 0; b < blocks; b++)
                {
                    int block = (o * blocks) + b;
                    float wd = q4k ? Q4KHalf(w, block, 0) : Q6Scale(w, block);
                    for (int part = 0; part < 4; part++)
                    {
                        int main = 0, min = 0;
                        for (int e = 64 * part; e < 64 * (part + 1); e++)
                        {
                            int i = (block * 256) + e;
                            int q8 = xq[(b * 256) + e];
                            main += q4k ? Q4KSubScale(w, i, 0) * q8 * Q4KQuant(w, i) : Q6SubScale(w, i) * q8 * (Q6Quant(w, i) - 32);
                            min += q4k ? Q4KSubScale(w, i, 4) * q8 : 0;
                        }

                        f = MathF.FusedMultiplyAdd(wd * xd[b], main, f);
                        if (q4k)
                        {
                            g = MathF.FusedMultiplyAdd(Q4KHalf(w, block, 2) * xd[b], min, g);
                        }
                    }
                }

                float sum = f - g;
                y[(t * rows) + o] = bias.Length == 0 ? sum : sum + bias[o];
            }
        }

        return y;
    }

    /// <summary>
    /// The order the engine follows for a Q4_K or Q6_K matmul of this many tokens: ggml_vec_dot's (<see cref="MatMulQ4K"/>,
    /// <see cref="MatMulQ6K"/>) below <see cref="SharpServe.Engine.Kernels.CpuKernels.PanelMinTokens"/>, the K-quant panel
    /// GEMM's (<see cref="MatMulKPanel"/>) from there.
    /// </summary>
    public static float[] MatMulKQuant(TensorDType type, byte[] w, float[] bias, float[] x, int rows, int columns, int tokens) =>
        tokens >= SharpServe.Engine.Kernels.CpuKernels.PanelMinTokens ? MatMulKPanel(type, w, bias, x, rows, columns, tokens)
        : type == TensorDType.Q4_K ? MatMulQ4K(w, bias, x, rows, columns, tokens)
        : MatMulQ6K(w, bias, x, rows, columns, tokens);

    /// <summary>y[t, o] = Σ W[o, i]·x[t, i] + b[o] in double; also returns Σ|W·x| per output for tolerances.</summary>
    public static (double[] Y, double[] Magnitude) MatMul(double[] w, float[] bias, float[] x, int rows, int columns, int tokens)
    {
        var y = new double[tokens * rows];
        var magnitude = new double[tokens * rows];
        for (int t = 0; t < tokens; t++)
        {
            for (int o = 0; o < rows; o++)
            {
                double sum = bias.Length == 0 ? 0 : bias[o];
                double abs = Math.Abs(sum);
                for (int i = 0; i < columns; i++)
                {
                    double term = w[((long)o * columns) + i] * x[(t * columns) + i];
                    sum += term;
                    abs += Math.Abs(term);
                }

                y[(t * rows) + o] = sum;
                magnitude[(t * rows) + o] = abs;
            }
        }

        return (y, magnitude);
    }

    /// <summary>
    /// llama.cpp's x86 activation quantization for one row: per 32 values d = amax/127,
    /// q = round-half-even(x · (127/amax)), d rounded to fp16.
    /// </summary>
    public static (sbyte[] Quants, float[] Scales) QuantizeActivations(ReadOnlySpan<float> x)
    {
        var quants = new sbyte[x.Length];
        var scales = new float[x.Length / 32];
        for (int b = 0; b < scales.Length; b++)
        {
            float amax = 0;
            for (int j = 0; j < 32; j++)
            {
                amax = Math.Max(amax, Math.Abs(x[(b * 32) + j]));
            }

            float inverse = amax != 0 ? 127f / amax : 0f;
            scales[b] = (float)(Half)(amax / 127f);
            for (int j = 0; j < 32; j++)
            {
                quants[(b * 32) + j] = (sbyte)MathF.Round(x[(b * 32) + j] * inverse, MidpointRounding.ToEven);
            }
        }

        return (quants, scales);
    }

    /// <summary>
    /// llama.cpp's x86 Q8_0 × Q8_0 matmul, operation for operation: activations quantized per token; per
    /// (row, token) 8 f32 lanes, lane k collecting the exact integer sum of products 4k..4k+3 of each block
    /// via fma(fp32(w.d)·fp32(x.d), lane, acc) in block order; then hsum_float_8 and the bias add.
    /// </summary>
    public static float[] MatMulQ8(byte[] w, float[] bias, float[] x, int rows, int columns, int tokens)
    {
        int blocks = columns / 32;
        var y = new float[tokens * rows];
        var lanes = new float[8];
        for (int t = 0; t < tokens; t++)
        {
            var (xq, xd) = QuantizeActivations(x.AsSpan(t * columns, columns));
            for (int o = 0; o < rows; o++)
            {
                Array.Clear(lanes);
                for (int b = 0; b < blocks; b++)
                {
                    int block = (o * blocks) + b;
                    float d = Q8Scale(w, block) * xd[b];
                    for (int k = 0; k < 8; k++)
                    {
                        int dot = 0;
                        for (int j = 4 * k; j < (4 * k) + 4; j++)
                        {
                            dot += (sbyte)w[(block * 34) + 2 + j] * xq[(b * 32) + j];
                        }

                        lanes[k] = MathF.FusedMultiplyAdd(d, dot, lanes[k]);
                    }
                }

                float sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
                y[(t * rows) + o] = bias.Length == 0 ? sum : sum + bias[o];
            }
        }

        return y;
    }

    /// <summary>
    /// llama.cpp's x86 Q4_0 × Q8_0 matmul (ggml_vec_dot_q4_0_q8_0): as <see cref="MatMulQ8"/> with the weight quants
    /// w = nibble − 8, lane k holding the exact integer sum of products 4k..4k+3 of each block.
    /// </summary>
    public static float[] MatMulQ4(byte[] w, float[] bias, float[] x, int rows, int columns, int tokens)
    {
        int blocks = columns / 32;
        var y = new float[tokens * rows];
        var lanes = new float[8];
        for (int t = 0; t < tokens; t++)
        {
            var (xq, xd) = QuantizeActivations(x.AsSpan(t * columns, columns));
            for (int o = 0; o < rows; o++)
            {
                Array.Clear(lanes);
                for (int b = 0; b < blocks; b++)
                {
                    int block = (o * blocks) + b;
                    float d = Q4Scale(w, block) * xd[b];
                    for (int k = 0; k < 8; k++)
                    {
                        int dot = 0;
                        for (int j = 4 * k; j < (4 * k) + 4; j++)
                        {
                            dot += (Q4Nibble(w, (block * 32) + j) - 8) * xq[(b * 32) + j];
                        }

                        lanes[k] = MathF.FusedMultiplyAdd(d, dot, lanes[k]);
                    }
                }

                float sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
                y[(t * rows) + o] = bias.Length == 0 ? sum : sum + bias[o];
            }
        }

        return y;
    }

    /// <summary>
    /// llama.cpp's repacked Q8_0/Q4_0 GEMM order (ggml_gemm_q4_0_8x8_q8_0), which the engine's panel GEMM follows from
    /// <see cref="SharpServe.Engine.Kernels.CpuKernels.PanelMinTokens"/> tokens: activations quantized per token as in
    /// <see cref="MatMulQ8"/>; per (row, token) one f32 accumulator, per block in order
    /// acc = fma(fp32(w.d)·fp32(x.d), (float)Σ w·x, acc) with the block's whole exact integer sum; then the bias add.
    /// </summary>
    public static float[] MatMulPanel(TensorDType type, byte[] w, float[] bias, float[] x, int rows, int columns, int tokens)
    {
        int blocks = columns / 32;
        var y = new float[tokens * rows];
        for (int t = 0; t < tokens; t++)
        {
            var (xq, xd) = QuantizeActivations(x.AsSpan(t * columns, columns));
            for (int o = 0; o < rows; o++)
            {
                float acc = 0;
                for (int b = 0; b < blocks; b++)
                {
                    int block = (o * blocks) + b;
                    float d = (type == TensorDType.Q8_0 ? Q8Scale(w, block) : Q4Scale(w, block)) * xd[b];
                    int dot = 0;
                    for (int j = 0; j < 32; j++)
                    {
                        int weight = type == TensorDType.Q8_0 ? (sbyte)w[(block * 34) + 2 + j] : Q4Nibble(w, (block * 32) + j) - 8;
                        dot += weight * xq[(b * 32) + j];
                    }

                    acc = MathF.FusedMultiplyAdd(d, dot, acc);
                }

                y[(t * rows) + o] = bias.Length == 0 ? acc : acc + bias[o];
            }
        }

        return y;
    }

    /// <summary>
    /// The order the engine follows for a Q8_0 or Q4_0 matmul of this many tokens: ggml_vec_dot's (<see cref="MatMulQ8"/>,
    /// <see cref="MatMulQ4"/>) below <see cref="SharpServe.Engine.Kernels.CpuKernels.PanelMinTokens"/>, the repacked GEMM's
    /// (<see cref="MatMulPanel"/>) from there.
    /// </summary>
    public static float[] MatMulQ8OrQ4(TensorDType type, byte[] w, float[] bias, float[] x, int rows, int columns, int tokens) =>
        tokens >= SharpServe.Engine.Kernels.CpuKernels.PanelMinTokens ? MatMulPanel(type, w, bias, x, rows, columns, tokens)
        : type == TensorDType.Q8_0 ? MatMulQ8(w, bias, x, rows, columns, tokens)
        : MatMulQ4(w, bias, x, rows, columns, tokens);

    public static WeightTensor RandomWeight(Random random, TensorDType type, int rows, int columns, out byte[] bytes)
    {
        var values = RandomFloats(random, rows * columns);
        bytes = new byte[TensorDTypeInfo.ByteSize(type, values.Length)];
        WeightCodec.Encode(type, values, bytes);
        return new WeightTensor("w", type, [rows, columns], bytes);
    }

    public static void AssertBitwiseEqual(float[] expected, float[] actual, string context)
    {
        Assert.True(expected.Length == actual.Length, $"{context}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToUInt32Bits(expected[i]) != BitConverter.SingleToUInt32Bits(actual[i]))
            {
                Assert.Fail($"{context}: element {i} expected {expected[i]:R}, got {actual[i]:R}");
            }
        }
    }

    public static void AssertClose(double expected, float actual, double tolerance, string context)
    {
        if (!(Math.Abs(expected - actual) <= tolerance))
        {
            Assert.Fail($"{context}: expected {expected:R}, got {actual:R} (|diff| {Math.Abs(expected - actual):E3} > {tolerance:E3})");
        }
    }
}
