using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// y[t, o] = Σ_i W[o, i] · x[t, i] + bias[o] for many tokens (prefill), the fallback when cuBLAS is absent: each group
/// computes a <see cref="Tile"/> × <see cref="Tile"/> block of outputs (tokens × rows), staging 32-wide slices of x and W
/// in shared memory so each weight read from memory serves 32 tokens. Thread (r, s) of the 32 × 8 group owns row r and
/// tokens s, s + 8, s + 16, s + 24, accumulating over i in order: each output is the plain sequential dot product.
/// </summary>
internal static class GemmKernel
{
    public const int Tile = 32;

    private const int TokenSteps = 8;

    public const int GroupSize = Tile * TokenSteps;

    /// <summary>
    /// weights: [rows, columns]; x: [tokens, columns]; bias: [rows] or empty; y: [tokens, rows].
    /// Launch: (ceil(rows / 32), ceil(tokens / 32)) groups of (32, 8).
    /// </summary>
    public static void Run<TWeights>(TWeights weights, ArrayView<float> x, ArrayView<float> bias, ArrayView<float> y, int rows, int columns, int tokens)
        where TWeights : struct, IDeviceElements
    {
        var weightTile = SharedMemory.Allocate<float>(Tile * (Tile + 1)); // [row][i], padded against bank conflicts
        var inputTile = SharedMemory.Allocate<float>(Tile * (Tile + 1));  // [token][i]
        int r = Group.IdxX;
        int s = Group.IdxY;
        int row = (Grid.IdxX * Tile) + r;
        int firstToken = Grid.IdxY * Tile;
        float acc0 = 0f;
        float acc1 = 0f;
        float acc2 = 0f;
        float acc3 = 0f;
        for (int i0 = 0; i0 < columns; i0 += Tile)
        {
            // Thread (r, s) loads tile rows s, s + 8, s + 16, s + 24 at column r of both slices.
            for (int step = s; step < Tile; step += TokenSteps)
            {
                int i = i0 + r;
                int tileRow = (Grid.IdxX * Tile) + step;
                int token = firstToken + step;
                weightTile[(step * (Tile + 1)) + r] = tileRow < rows && i < columns ? weights.Load(((long)tileRow * columns) + i) : 0f;
                inputTile[(step * (Tile + 1)) + r] = token < tokens && i < columns ? x[((long)token * columns) + i] : 0f;
            }

            Group.Barrier();
            int width = Math.Min(Tile, columns - i0);
            for (int k = 0; k < width; k++)
            {
                float w = weightTile[(r * (Tile + 1)) + k];
                acc0 += w * inputTile[(s * (Tile + 1)) + k];
                acc1 += w * inputTile[((s + TokenSteps) * (Tile + 1)) + k];
                acc2 += w * inputTile[((s + (2 * TokenSteps)) * (Tile + 1)) + k];
                acc3 += w * inputTile[((s + (3 * TokenSteps)) * (Tile + 1)) + k];
            }

            Group.Barrier();
        }

        if (row >= rows)
        {
            return;
        }

        float b = bias.Length > 0 ? bias[row] : 0f;
        Write(y, firstToken + s, row, rows, tokens, acc0, b, bias.Length > 0);
        Write(y, firstToken + s + TokenSteps, row, rows, tokens, acc1, b, bias.Length > 0);
        Write(y, firstToken + s + (2 * TokenSteps), row, rows, tokens, acc2, b, bias.Length > 0);
        Write(y, firstToken + s + (3 * TokenSteps), row, rows, tokens, acc3, b, bias.Length > 0);
    }

    private static void Write(ArrayView<float> y, int token, int row, int rows, int tokens, float sum, float bias, bool hasBias)
    {
        if (token < tokens)
        {
            y[((long)token * rows) + row] = hasBias ? sum + bias : sum;
        }
    }
}
