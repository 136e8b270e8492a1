using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpServe.Bench;

/// <summary>
/// Measures this machine's arithmetic peaks instead of assuming them: each thread runs a tight loop of
/// independent multiply-adds held in registers (twelve accumulators, enough to cover the instruction's
/// latency on both FMA ports), best of several passes. f32: FMA at the widest tier (512-bit where .NET
/// accelerates it, else 256-bit), 2 FLOPs a lane. int8: AVX-VNNI VPDPBUSD (256-bit; .NET exposes no
/// 512-bit form), 32 u8·s8 products summed into 8 int32 lanes, 2 ops a product.
/// </summary>
public static class ArithmeticPeak
{
    private const long Iterations = 20_000_000;
    private const int Accumulators = 12;

    public static double MeasureFloat32GFlops(int threads)
    {
        int lanes = Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count;
        Func<long, float> loop = Vector512.IsHardwareAccelerated ? Fma512 : Fma256;
        double seconds = Best(threads, loop);
        return threads * Iterations * Accumulators * lanes * 2.0 / seconds / 1e9;
    }

    /// <summary>int8 dot-product GOP/s, or 0 where the CPU has no AVX-VNNI.</summary>
    public static double MeasureInt8Gops(int threads)
    {
        if (!AvxVnni.IsSupported)
        {
            return 0;
        }

        double seconds = Best(threads, Vnni256);
        return threads * Iterations * Accumulators * Vector256<byte>.Count * 2.0 / seconds / 1e9;
    }

    /// <summary>Seconds for every thread to run the loop once, all started together; best of three passes.</summary>
    private static double Best<T>(int threads, Func<long, T> loop)
    {
        loop(1000);
        double best = double.MaxValue;
        for (int pass = 0; pass < 3; pass++)
        {
            var results = new T[threads];
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => results[t] = loop(Iterations));
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
            GC.KeepAlive(results);
        }

        return best;
    }

    private static float Fma512(long iterations) => Loop<Fma512Step, Vector512<float>>(iterations);

    private static float Fma256(long iterations) => Loop<Fma256Step, Vector256<float>>(iterations);

    private static float Vnni256(long iterations) => Loop<Vnni256Step, Vector256<int>>(iterations);

    /// <summary>Twelve independent chains of TStep's instruction, kept in registers (the JIT specializes per step struct).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop<TStep, TV>(long iterations)
        where TStep : struct, IPeakStep<TV>
        where TV : struct
    {
        TV a0 = TStep.Start, a1 = TStep.Start, a2 = TStep.Start, a3 = TStep.Start, a4 = TStep.Start, a5 = TStep.Start,
            a6 = TStep.Start, a7 = TStep.Start, a8 = TStep.Start, a9 = TStep.Start, a10 = TStep.Start, a11 = TStep.Start;
        for (long i = 0; i < iterations; i++)
        {
            a0 = TStep.Step(a0);
            a1 = TStep.Step(a1);
            a2 = TStep.Step(a2);
            a3 = TStep.Step(a3);
            a4 = TStep.Step(a4);
            a5 = TStep.Step(a5);
            a6 = TStep.Step(a6);
            a7 = TStep.Step(a7);
            a8 = TStep.Step(a8);
            a9 = TStep.Step(a9);
            a10 = TStep.Step(a10);
            a11 = TStep.Step(a11);
        }

        // Every chain feeds the result, so none is dead code.
        return TStep.Total(a0) + TStep.Total(a1) + TStep.Total(a2) + TStep.Total(a3) + TStep.Total(a4) + TStep.Total(a5)
            + TStep.Total(a6) + TStep.Total(a7) + TStep.Total(a8) + TStep.Total(a9) + TStep.Total(a10) + TStep.Total(a11);
    }

    /// <summary>One instruction of a peak loop: its start value, one dependent step, and a reduction to keep it alive.</summary>
    private interface IPeakStep<TV>
        where TV : struct
    {
        static abstract TV Start { get; }

        static abstract TV Step(TV accumulator);

        static abstract float Total(TV accumulator);
    }

    private readonly struct Fma512Step : IPeakStep<Vector512<float>>
    {
        public static Vector512<float> Start => Vector512.Create(0.999999f);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Step(Vector512<float> accumulator) =>
            Avx512F.FusedMultiplyAdd(accumulator, Vector512.Create(0.999999f), Vector512.Create(1e-7f));

        public static float Total(Vector512<float> accumulator) => Vector512.Sum(accumulator);
    }

    private readonly struct Fma256Step : IPeakStep<Vector256<float>>
    {
        public static Vector256<float> Start => Vector256.Create(0.999999f);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Step(Vector256<float> accumulator) =>
            Fma.MultiplyAdd(accumulator, Vector256.Create(0.999999f), Vector256.Create(1e-7f));

        public static float Total(Vector256<float> accumulator) => Vector256.Sum(accumulator);
    }

    private readonly struct Vnni256Step : IPeakStep<Vector256<int>>
    {
        public static Vector256<int> Start => default;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Step(Vector256<int> accumulator) =>
            AvxVnni.MultiplyWideningAndAdd(accumulator, Vector256.Create((byte)3), Vector256.Create((sbyte)-2));

        public static float Total(Vector256<int> accumulator) => Vector256.Sum(accumulator);
    }
}
