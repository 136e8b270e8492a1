using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// int8 weights (Q8_0: blocks of 32 int8 with an fp16 scale, 34 bytes, what <c>--quantization int8</c> and GGUF Q8_0 store)
/// against activations quantized the same way, as the CPU engine and llama.cpp do: per block d = amax / 127 rounded to
/// fp16, q = round-half-even(x · 127 / amax). A block's dot product is an exact int32 sum, scaled by d_w · d_x.
/// </summary>
internal static class Q8Kernels
{
    public const int BlockSize = 32;

    public const int BlockBytes = 34;

    public const int WarpsPerGroup = 4;

    public const int GroupSize = WarpsPerGroup * WarpReduce.Lanes;

    /// <summary>
    /// x: [tokens, columns] → quants: [tokens, columns] int8, scales: [tokens, columns / 32] (the fp16-rounded d, widened).
    /// One thread per block. Launch: ceil(blocks / <see cref="GroupSize"/>) groups of <see cref="GroupSize"/>.
    /// </summary>
    public static void Quantize(ArrayView<float> x, ArrayView<sbyte> quants, ArrayView<float> scales)
    {
        int block = (Grid.IdxX * GroupSize) + Group.IdxX;
        if (block >= scales.IntLength)
        {
            return;
        }

        long first = (long)block * BlockSize;
        float amax = 0f;
        for (int i = 0; i < BlockSize; i++)
        {
            amax = MathF.Max(amax, MathF.Abs(x[first + i]));
        }

        float inverse = amax != 0f ? 127f / amax : 0f;
        scales[block] = DeviceNumbers.F16ToFloat(DeviceNumbers.FloatToF16(amax / 127f));
        for (int i = 0; i < BlockSize; i++)
        {
            quants[first + i] = (sbyte)MathF.Round(x[first + i] * inverse);
        }
    }

    /// <summary>
    /// y[t, o] = Σ_blocks (d_w · d_x) · Σ q_w · q_x + bias[o]. weights: [rows, columns / 32 blocks of 34 bytes]; quants,
    /// scales: from <see cref="Quantize"/>; bias: [rows] or empty; y: [tokens, rows]. One warp per row, lane l taking
    /// blocks l, l + 32, …; partial sums folded by <see cref="WarpReduce"/>.
    /// Launch: ceil(rows / <see cref="WarpsPerGroup"/>) groups of <see cref="GroupSize"/>.
    /// </summary>
    public static void Gemv(ArrayView<byte> weights, ArrayView<sbyte> quants, ArrayView<float> scales, ArrayView<float> bias, ArrayView<float> y, int rows, int columns, int tokens)
    {
        int row = (Grid.IdxX * WarpsPerGroup) + Warp.WarpIdx;
        if (row >= rows)
        {
            return;
        }

        int blocks = columns / BlockSize;
        long rowStart = (long)row * blocks * BlockBytes;
        for (int t = 0; t < tokens; t++)
        {
            float sum = 0f;
            for (int b = Warp.LaneIdx; b < blocks; b += WarpReduce.Lanes)
            {
                long block = rowStart + ((long)b * BlockBytes);
                float weightScale = DeviceNumbers.F16ToFloat((ushort)(weights[block] | (weights[block + 1] << 8)));
                long activation = ((long)t * columns) + ((long)b * BlockSize);
                int dot = 0;
                for (int i = 0; i < BlockSize; i++)
                {
                    dot += (sbyte)weights[block + 2 + i] * quants[activation + i];
                }

                sum += weightScale * scales[((long)t * blocks) + b] * dot;
            }

            sum = WarpReduce.Sum(sum);
            if (Warp.IsFirstLane)
            {
                y[((long)t * rows) + row] = bias.Length > 0 ? sum + bias[row] : sum;
            }
        }
    }

    /// <summary>
    /// y[t, :] = table[ids[t], :] dequantized (d · q, as ggml's dequantize_row_q8_0). table: [vocab, columns / 32 blocks of 34
    /// bytes]; y: [tokens, columns]. Launch: tokens groups of <see cref="GroupSize"/>.
    /// </summary>
    public static void Embedding(ArrayView<byte> table, ArrayView<int> ids, ArrayView<float> y, int columns)
    {
        int token = Grid.IdxX;
        long row = (long)ids[token] * (columns / BlockSize) * BlockBytes;
        for (int c = Group.IdxX; c < columns; c += GroupSize)
        {
            long block = row + ((long)(c / BlockSize) * BlockBytes);
            float scale = DeviceNumbers.F16ToFloat((ushort)(table[block] | (table[block + 1] << 8)));
            y[((long)token * columns) + c] = scale * (sbyte)table[block + 2 + (c % BlockSize)];
        }
    }
}
