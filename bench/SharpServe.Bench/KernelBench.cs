using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Kernels.Native;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.Loading;

namespace SharpServe.Bench;

/// <summary>
/// <c>bench kernels [--quick] [--threads 1,2] [--only pool|gemv|gemm]</c>: times the CPU kernels at DeepSeek-R1-Distill-Qwen-1.5B's
/// shapes after warm-up, median of several samples: worker-pool dispatch overhead, single-token GEMV
/// (GB/s of weight bytes, against the machine's ~32 GB/s two-thread read bandwidth) and 128-token GEMM
/// (GFLOP/s). GEMV weights rotate over enough copies to exceed the last-level cache, so each call
/// streams from DRAM the way a decode step does.
/// </summary>
public static class KernelBench
{
    private const double PeakGBps = 32;
    private const long StreamBytes = 256L << 20;
    private const int GemmTokens = 128;

    private static readonly (string Name, int Out, int In)[] Shapes =
    [
        ("q/o_proj", 1536, 1536),
        ("k/v_proj", 256, 1536),
        ("gate/up", 8960, 1536),
        ("down", 1536, 8960),
        ("lm_head", 151936, 1536),
    ];

    private static readonly TensorDType[] DTypes = [TensorDType.F16, TensorDType.BF16, TensorDType.Q8_0];

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        int[] threadCounts = ParseThreads(args) ?? [1, 2];
        int samples = quick ? 5 : 9;
        string? only = OptionValue(args, "--only");
        Console.WriteLine($"kernels: tier {SimdTiers.Best}, {Environment.ProcessorCount} cores, threads {string.Join(",", threadCounts)}, median of {samples}");

        if (only is null or "gemv")
        {
            Console.WriteLine();
            Console.WriteLine($"memory read baseline (Vector512 sum over {StreamBytes >> 20} MiB)");
            foreach (int threads in threadCounts)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  threads {threads}: {ReadBandwidthGBps(threads, samples),6:F1} GB/s"));
            }
        }

        if (only is null or "pool")
        {
            Console.WriteLine();
            Console.WriteLine("worker pool dispatch (empty parts, one per thread)");
            foreach (int threads in threadCounts)
            {
                Console.WriteLine($"  threads {threads}: {PoolOverheadNs(threads, samples):F0} ns per dispatch");
            }
        }

        if (only is null or "gemv")
        {
            Gemv(quick, threadCounts, samples);
        }

        if (only is null or "gemm")
        {
            Gemm(threadCounts, samples);
        }

        return 0;
    }

    private static void Gemv(bool quick, int[] threadCounts, int samples)
    {
        Console.WriteLine();
        Console.WriteLine("GEMV, tokens = 1 (weight bytes / time)");
        foreach (var dtype in DTypes)
        {
            foreach (var shape in quick ? Shapes.Where(s => s.Name != "lm_head") : Shapes)
            {
                using var weights = new WeightSet(dtype, shape.Out, shape.In, StreamBytes);
                foreach (int threads in threadCounts)
                {
                    double seconds = TimeMatMul(weights, tokens: 1, threads, samples);
                    double gbps = weights.Bytes / seconds / 1e9;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {dtype,-5} {shape.Name,-9} {shape.Out,6}x{shape.In,-5} threads {threads}: {seconds * 1e6,9:F1} us  {gbps,6:F1} GB/s  {gbps / PeakGBps * 100,5:F1} % of {PeakGBps} GB/s"));
                }
            }
        }

    }

    private static void Gemm(int[] threadCounts, int samples)
    {
        Console.WriteLine();
        Console.WriteLine($"GEMM, tokens = {GemmTokens}");
        foreach (var dtype in DTypes)
        {
            foreach (var shape in Shapes.Where(s => s.Name != "lm_head"))
            {
                using var weights = new WeightSet(dtype, shape.Out, shape.In, streamBytes: 0);
                foreach (int threads in threadCounts)
                {
                    double seconds = TimeMatMul(weights, GemmTokens, threads, samples);
                    double gflops = 2.0 * shape.Out * shape.In * GemmTokens / seconds / 1e9;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {dtype,-5} {shape.Name,-9} {shape.Out,6}x{shape.In,-5} threads {threads}: {seconds * 1e3,8:F2} ms  {gflops,6:F1} GFLOP/s"));
                }
            }
        }
    }

    /// <summary>Plain streaming read of a buffer larger than the last-level cache: the ceiling GEMV is judged against.</summary>
    private static double ReadBandwidthGBps(int threads, int samples)
    {
        using var buffer = new AlignedBuffer(StreamBytes);
        using var pool = new WorkerPool(threads);
        var work = new SumWork(buffer.Memory, threads);
        pool.Run(work, threads);
        var times = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            long start = Stopwatch.GetTimestamp();
            pool.Run(work, threads);
            times[s] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        return StreamBytes / Median(times) / 1e9;
    }

    private static string? OptionValue(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index < 0 || index + 1 >= args.Length ? null : args[index + 1];
    }

    private static int[]? ParseThreads(string[] args) =>
        OptionValue(args, "--threads")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    private static double PoolOverheadNs(int threads, int samples)
    {
        using var pool = new WorkerPool(threads);
        var work = new EmptyWork();
        const int Dispatches = 20_000;
        var times = new double[samples];
        for (int s = -1; s < samples; s++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Dispatches; i++)
            {
                pool.Run(work, threads);
            }

            if (s >= 0)
            {
                times[s] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / Dispatches;
            }
        }

        return Median(times);
    }

    /// <summary>Median seconds per call; each sample repeats calls for at least 20 ms.</summary>
    private static double TimeMatMul(WeightSet weights, int tokens, int threads, int samples)
    {
        using var backend = new CpuBackend(threads);
        var random = new Random(7);
        var x = new float[tokens * weights.In];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (random.NextSingle() * 2) - 1;
        }

        var y = new float[tokens * weights.Out];
        for (int i = 0; i < Math.Max(3, weights.Copies); i++)
        {
            backend.MatMul(weights.Next(), [], x, y, tokens);
        }

        var times = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            int calls = 0;
            long start = Stopwatch.GetTimestamp();
            do
            {
                backend.MatMul(weights.Next(), [], x, y, tokens);
                calls++;
            }
            while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < 20);

            times[s] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
        }

        return Median(times);
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private sealed class SumWork(Memory<byte> buffer, int parts) : IParallelWork
    {
        public float Result { get; private set; }

        public void Execute(int part, int worker)
        {
            var vectors = MemoryMarshal.Cast<byte, Vector512<float>>(buffer.Span);
            int start = vectors.Length * part / parts;
            int end = vectors.Length * (part + 1) / parts;
            Vector512<float> sum0 = default, sum1 = default, sum2 = default, sum3 = default;
            for (int i = start; i + 3 < end; i += 4)
            {
                sum0 += vectors[i];
                sum1 += vectors[i + 1];
                sum2 += vectors[i + 2];
                sum3 += vectors[i + 3];
            }

            Result = Vector512.Sum(sum0 + sum1 + sum2 + sum3);
        }
    }

    private sealed class EmptyWork : IParallelWork
    {
        public void Execute(int part, int worker)
        {
        }
    }

    /// <summary>Copies of one random weight matrix in 64-byte-aligned native memory, enough to total streamBytes.</summary>
    private sealed class WeightSet : IDisposable
    {
        private readonly AlignedBuffer[] _buffers;
        private readonly WeightTensor[] _tensors;
        private int _next;

        public WeightSet(TensorDType type, int rows, int columns, long streamBytes)
        {
            Out = rows;
            In = columns;
            Bytes = TensorDTypeInfo.ByteSize(type, (long)rows * columns);
            Copies = (int)Math.Max(1, streamBytes / Bytes);
            _buffers = new AlignedBuffer[Copies];
            _tensors = new WeightTensor[Copies];
            var random = new Random(42);
            var row = new float[columns];
            long rowBytes = TensorDTypeInfo.ByteSize(type, columns);
            for (int c = 0; c < Copies; c++)
            {
                _buffers[c] = new AlignedBuffer(Bytes);
                var memory = _buffers[c].Memory;
                for (int r = 0; r < rows; r++)
                {
                    for (int i = 0; i < columns; i++)
                    {
                        row[i] = ((random.NextSingle() * 2) - 1) * 0.05f;
                    }

                    WeightCodec.Encode(type, row, memory.Span.Slice((int)(r * rowBytes), (int)rowBytes));
                }

                _tensors[c] = new WeightTensor($"bench.{c}", type, [rows, columns], memory);
            }
        }

        public int Out { get; }
        public int In { get; }
        public long Bytes { get; }
        public int Copies { get; }

        public WeightTensor Next()
        {
            var tensor = _tensors[_next];
            _next = (_next + 1) % _tensors.Length;
            return tensor;
        }

        public void Dispose()
        {
            foreach (IDisposable buffer in _buffers)
            {
                buffer.Dispose();
            }
        }
    }
}
