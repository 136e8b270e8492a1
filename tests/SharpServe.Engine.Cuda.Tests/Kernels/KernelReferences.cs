namespace SharpServe.Engine.Cuda.Tests.Kernels;

/// <summary>
/// Plain C# versions of the kernels that add in the kernels' order (per-lane partial sums, the warp butterfly, warps in
/// order), so results on the simulated device must match them bit for bit. Written from the kernels' documented
/// orders, not by calling kernel code.
/// </summary>
internal static class KernelReferences
{
    public const int Lanes = 32;

    /// <summary>The butterfly: lane l adds lane l ^ 16, then l ^ 8, …; returns lane 0's value (all lanes agree).</summary>
    public static float WarpSum(float[] lanes)
    {
        var v = (float[])lanes.Clone();
        for (int offset = Lanes / 2; offset > 0; offset /= 2)
        {
            var next = new float[Lanes];
            for (int l = 0; l < Lanes; l++)
            {
                next[l] = v[l] + v[l ^ offset];
            }

            v = next;
        }

        return v[0];
    }

    public static float[] RmsNorm(float[] x, float[] weight, int tokens, int dim, float eps, int groupSize)
    {
        var y = new float[x.Length];
        for (int t = 0; t < tokens; t++)
        {
            var threads = new float[groupSize];
            for (int tid = 0; tid < groupSize; tid++)
            {
                for (int i = tid; i < dim; i += groupSize)
                {
                    float v = x[(t * dim) + i];
                    threads[tid] += v * v;
                }
            }

            float total = 0;
            for (int w = 0; w < groupSize / Lanes; w++)
            {
                total += WarpSum(threads[(w * Lanes)..((w + 1) * Lanes)]);
            }

            float scale = 1f / MathF.Sqrt((total / dim) + eps);
            for (int i = 0; i < dim; i++)
            {
                y[(t * dim) + i] = x[(t * dim) + i] * scale * weight[i];
            }
        }

        return y;
    }

    public static void Rope(float[] x, int[] positions, int heads, int headDim, float theta)
    {
        int half = headDim / 2;
        float step = MathF.Pow(theta, -2f / headDim);
        for (int t = 0; t < positions.Length; t++)
        {
            float angle = positions[t];
            for (int j = 0; j < half; j++)
            {
                double turns = Math.Floor((angle / (2 * Math.PI)) + 0.5);
                float reduced = (float)(angle - (turns * 2 * Math.PI));
                float cos = MathF.Cos(reduced);
                float sin = MathF.Sin(reduced);
                for (int h = 0; h < heads; h++)
                {
                    int at = ((t * heads) + h) * headDim;
                    float x0 = x[at + j];
                    float x1 = x[at + half + j];
                    x[at + j] = (x0 * cos) - (x1 * sin);
                    x[at + half + j] = (x0 * sin) + (x1 * cos);
                }

                angle *= step;
            }
        }
    }

    /// <summary>weights already widened to f32: [rows, columns].</summary>
    public static float[] Gemv(float[] weights, float[] x, float[] bias, int rows, int columns, int tokens)
    {
        var y = new float[tokens * rows];
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                var lanes = new float[Lanes];
                for (int l = 0; l < Lanes; l++)
                {
                    for (int i = l; i < columns; i += Lanes)
                    {
                        lanes[l] += weights[((long)r * columns) + i] * x[(t * columns) + i];
                    }
                }

                float sum = WarpSum(lanes);
                y[(t * rows) + r] = bias.Length > 0 ? sum + bias[r] : sum;
            }
        }

        return y;
    }

    /// <summary>
    /// Online-softmax attention in the kernel's order. keys, values: [slots, kvHeads · headDim] already widened; each token
    /// reads positions 0…positions[t] through its block table.
    /// </summary>
    public static float[] Attention(float[] q, float[] keys, float[] values, int[] positions, int[][] tokenBlockTables, int heads, int kvHeads, int headDim, int blockSize)
    {
        int tokens = positions.Length;
        int kvDim = kvHeads * headDim;
        float scale = 1f / MathF.Sqrt(headDim);
        var output = new float[tokens * heads * headDim];
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int kvHead = h / (heads / kvHeads);
                int query = ((t * heads) + h) * headDim;
                float max = float.NegativeInfinity;
                float sum = 0;
                var acc = new float[headDim];
                for (int p = 0; p <= positions[t]; p++)
                {
                    int slot = (tokenBlockTables[t][p / blockSize] * blockSize) + (p % blockSize);
                    int key = (slot * kvDim) + (kvHead * headDim);
                    var lanes = new float[Lanes];
                    for (int l = 0; l < Lanes; l++)
                    {
                        for (int d = l; d < headDim; d += Lanes)
                        {
                            lanes[l] += q[query + d] * keys[key + d];
                        }
                    }

                    float score = WarpSum(lanes) * scale;
                    float newMax = MathF.Max(max, score);
                    float rescale = MathF.Exp(max - newMax);
                    float weight = MathF.Exp(score - newMax);
                    sum = (sum * rescale) + weight;
                    for (int d = 0; d < headDim; d++)
                    {
                        acc[d] = (acc[d] * rescale) + (weight * values[key + d]);
                    }

                    max = newMax;
                }

                for (int d = 0; d < headDim; d++)
                {
                    output[query + d] = acc[d] / sum;
                }
            }
        }

        return output;
    }

    public static ushort ToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        uint lsb = (bits >> 16) & 1;
        return (ushort)((bits + 0x7FFF + lsb) >> 16);
    }

    public static float FromBf16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}
