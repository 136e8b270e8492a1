using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Single-token matrix-vector rows: y[r] = W[r, :] · x + bias[r] for r in [rowStart, rowEnd).
/// Memory-bound: each weight byte is read once and widened in registers. One row at a time keeps a
/// single sequential weight stream per thread, which the hardware prefetcher follows best (measured:
/// four rows in lockstep ran at a third of the bandwidth); two accumulators keep two FMA chains in flight.
/// bias may be null.
/// </summary>
internal static unsafe class GemvRows
{
    private static readonly int PF = int.Parse(Environment.GetEnvironmentVariable("PF") ?? "1024");

    public static void F32<TS, TV>(byte* weights, float* x, float* bias, float* y, int rowStart, int rowEnd, int columns)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int count = TS.Count;
        for (int r = rowStart; r < rowEnd; r++)
        {
            float* w = (float*)weights + ((long)r * columns);
            TV acc0 = TS.Zero;
            TV acc1 = TS.Zero;
            int i = 0;
            for (; i <= columns - (2 * count); i += 2 * count)
            {
                acc0 = TS.MultiplyAdd(TS.Load(w + i), TS.Load(x + i), acc0);
                acc1 = TS.MultiplyAdd(TS.Load(w + i + count), TS.Load(x + i + count), acc1);
            }

            float sum = TS.Sum(TS.Add(acc0, acc1));
            for (; i < columns; i++)
            {
                sum += w[i] * x[i];
            }

            y[r] = bias == null ? sum : sum + bias[r];
        }
    }

    /// <summary>xPairs: x deinterleaved per chunk of 2·Count (see <see cref="ISimd{TV}.Deinterleave"/>); the tail past the last full chunk is read from x.</summary>
    public static void Bf16<TS, TV>(byte* weights, float* xPairs, float* x, float* bias, float* y, int rowStart, int rowEnd, int columns)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int count = TS.Count;
        int full = columns - (columns % (2 * count));
        for (int r = rowStart; r < rowEnd; r++)
        {
            ushort* w = (ushort*)weights + ((long)r * columns);
            TV even = TS.Zero;
            TV odd = TS.Zero;
            for (int i = 0; i < full; i += 2 * count)
            {
                TV pairs = TS.LoadPairs(w + i);
                even = TS.MultiplyAdd(TS.Bf16Even(pairs), TS.Load(xPairs + i), even);
                odd = TS.MultiplyAdd(TS.Bf16Odd(pairs), TS.Load(xPairs + i + count), odd);
            }

            float sum = TS.Sum(TS.Add(even, odd));
            for (int i = full; i < columns; i++)
            {
                sum += BitConverter.UInt32BitsToSingle((uint)w[i] << 16) * x[i];
            }

            y[r] = bias == null ? sum : sum + bias[r];
        }
    }

    /// <summary>Same layout as <see cref="Bf16{TS, TV}"/>.</summary>
    public static void F16<TS, TV>(byte* weights, float* xPairs, float* x, float* bias, float* y, int rowStart, int rowEnd, int columns)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int count = TS.Count;
        int full = columns - (columns % (2 * count));
        for (int r = rowStart; r < rowEnd; r++)
        {
            ushort* w = (ushort*)weights + ((long)r * columns);
            TV even = TS.Zero;
            TV odd = TS.Zero;
            for (int i = 0; i < full; i += 2 * count)
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0((byte*)(w + i) + PF);
                TV pairs = TS.LoadPairs(w + i);
                even = TS.MultiplyAdd(TS.F16Even(pairs), TS.Load(xPairs + i), even);
                odd = TS.MultiplyAdd(TS.F16Odd(pairs), TS.Load(xPairs + i + count), odd);
            }

            float sum = TS.Sum(TS.Add(even, odd));
            for (int i = full; i < columns; i++)
            {
                sum += (float)BitConverter.UInt16BitsToHalf(w[i]) * x[i];
            }

            y[r] = bias == null ? sum : sum + bias[r];
        }
    }

    public static void Q8_0<TS, TV>(byte* weights, short* xQuants, float* xScales, float* bias, float* y, int rowStart, int rowEnd, int columns)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int blocks = columns / 32;
        long rowBytes = (long)blocks * 34;
        float* halfTable = HalfTable.Pointer;
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = weights + (r * rowBytes);
            TV acc0 = TS.Zero;
            TV acc1 = TS.Zero;
            int b = 0;
            for (; b + 1 < blocks; b += 2)
            {
                byte* block0 = w + (b * 34);
                byte* block1 = block0 + 34;
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(block0 + PF);
                float scale0 = halfTable[*(ushort*)block0] * xScales[b];
                float scale1 = halfTable[*(ushort*)block1] * xScales[b + 1];
                acc0 = TS.MultiplyAdd(TS.DotQ8Block((sbyte*)(block0 + 2), xQuants + (b * 32)), TS.Broadcast(scale0), acc0);
                acc1 = TS.MultiplyAdd(TS.DotQ8Block((sbyte*)(block1 + 2), xQuants + (b * 32) + 32), TS.Broadcast(scale1), acc1);
            }

            if (b < blocks)
            {
                byte* block = w + (b * 34);
                float scale = halfTable[*(ushort*)block] * xScales[b];
                acc0 = TS.MultiplyAdd(TS.DotQ8Block((sbyte*)(block + 2), xQuants + (b * 32)), TS.Broadcast(scale), acc0);
            }

            float sum = TS.Sum(TS.Add(acc0, acc1));
            y[r] = bias == null ? sum : sum + bias[r];
        }
    }
}
