using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Kernels.Native;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Bench;

/// <summary>
/// <c>bench kernels [--quick] [--cached] [--cpu-time] [--threads 1,2] [--only pool|gemv|gemm|batch|attention] [--tokens 128,8] [--dtypes Q8_0,Q4_0,Q4_K]</c>: times the CPU kernels at DeepSeek-R1-Distill-Qwen-1.5B's
/// shapes after warm-up, median of several samples: worker-pool dispatch overhead, single-token GEMV
/// (GB/s of weight bytes, against the machine's ~32 GB/s two-thread read bandwidth) and 128-token GEMM
/// (GFLOP/s) and single-token attention over long contexts with an f32, f16 and bf16 KV cache (GB/s of K/V read). GEMV weights
/// and KV caches rotate over enough copies to exceed the last-level cache, so each call streams from DRAM the way a decode step does.
/// </summary>
public static class KernelBench
{
    private const long StreamBytes = 256L << 20;

    private static readonly (string Name, int Out, int In)[] Shapes =
    [
        ("q/o_proj", 1536, 1536),
        ("k/v_proj", 256, 1536),
        ("gate/up", 8960, 1536),
        ("down", 1536, 8960),
        ("lm_head", 151936, 1536),
    ];

    private static readonly TensorDType[] DefaultDTypes = [TensorDType.F16, TensorDType.BF16, TensorDType.Q8_0, TensorDType.Q4_0, TensorDType.Q4_K, TensorDType.Q6_K];

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        int[] threadCounts = ParseList(OptionValue(args, "--threads")) ?? [1, 2];
        int samples = quick ? 5 : 9;
        string? only = OptionValue(args, "--only");
        var dtypes = OptionValue(args, "--dtypes")?.Split(',').Select(Enum.Parse<TensorDType>).ToArray() ?? DefaultDTypes;
        Console.WriteLine($"kernels: tier {SimdTiers.Best}, {Environment.ProcessorCount} cores, threads {string.Join(",", threadCounts)}, median of {samples}");

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
            Gemv(quick, args.Contains("--cached"), args.Contains("--cpu-time"), threadCounts, samples, dtypes);
        }

        if (only is null or "gemm")
        {
            foreach (int tokens in ParseList(OptionValue(args, "--tokens")) ?? [128])
            {
                Gemm(threadCounts, samples, tokens, dtypes);
            }
        }

        if (only is "batch")
        {
            Batch(threadCounts, samples, ParseList(OptionValue(args, "--tokens")) ?? [1, 2, 4, 8, 16, 32, 64]);
        }

        if (only is null or "attention")
        {
            Attention(args.Contains("--cached"), threadCounts, samples);
        }

        return 0;
    }

    /// <summary>
    /// One decode token's attention, 12 heads over 2 KV heads of 128 (the 1.5B model), blocks of 16, per KV cache dtype.
    /// Calls rotate over copies of the layer's cache totalling <see cref="StreamBytes"/>: a decode step reads every
    /// layer's K/V once, far more than the last-level cache holds, so a cache that stayed in L3 would flatter f32.
    /// <paramref name="cached"/>: one copy, re-read from cache on every call (L2 at context 512, L3 at 4096), which
    /// separates the kernel's arithmetic from its wait for DRAM.
    /// </summary>
    private static void Attention(bool cached, int[] threadCounts, int samples)
    {
        const int Heads = 12, KvHeads = 2, HeadDim = 128, BlockSize = 16;
        Console.WriteLine();
        Console.WriteLine(cached ? "attention, 1 decode token, K/V in cache (K/V bytes read / time)" : "attention, 1 decode token (K/V bytes read / time)");
        foreach (var (context, dtype) in new[] { 512, 4096, 16384 }.SelectMany(c => Enum.GetValues<KvCacheDType>().Select(d => (c, d))))
        {
            int blocks = context / BlockSize;
            var cache = new KvLayerCache(blocks * BlockSize, KvHeads * HeadDim, dtype);
            var random = new Random(3);
            var values = new float[cache.Slots * cache.KvDim];
            foreach (var storage in new[] { cache.Keys, cache.Values })
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = random.NextSingle() - 0.5f;
                }

                WeightCodec.Encode(dtype.ElementType(), values, storage);
            }

            long kvBytes = 2L * context * cache.SlotBytes;
            var copies = new KvLayerCache[cached ? 1 : Math.Max(1, StreamBytes / kvBytes)];
            copies[0] = cache;
            for (int c = 1; c < copies.Length; c++)
            {
                copies[c] = new KvLayerCache(cache.Slots, cache.KvDim, dtype);
                cache.Keys.CopyTo(copies[c].Keys, 0);
                cache.Values.CopyTo(copies[c].Values, 0);
            }

            // Blocks in reverse order: a paged cache's tables are not sequential.
            var table = Enumerable.Range(0, blocks).Reverse().ToArray();
            var metadata = new AttentionMetadata(BlockSize);
            metadata.AddSequence(1, context - 1, table);
            var q = new float[Heads * HeadDim];
            var output = new float[q.Length];
            foreach (int threads in threadCounts)
            {
                using var backend = new CpuBackend(threads);
                var times = new double[samples];
                for (int s = -1; s < samples; s++)
                {
                    int calls = 0;
                    long start = Stopwatch.GetTimestamp();
                    do
                    {
                        backend.Attention(q, copies[calls % copies.Length], metadata, Heads, KvHeads, HeadDim, output);
                        calls++;
                    }
                    while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < 20);

                    if (s >= 0)
                    {
                        times[s] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
                    }
                }

                double seconds = Median(times);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  context {context,6} {dtype,-8} threads {threads}: {seconds * 1e6,9:F1} us  {kvBytes / seconds / 1e9,6:F1} GB/s"));
            }
        }
    }

    /// <summary>
    /// Single-token GEMV per dtype and shape. <paramref name="cached"/>: one copy of the weights, re-read from cache on
    /// every call, so the rate is the kernel's compute ceiling rather than DRAM's (a kernel that is no faster in cache
    /// than from DRAM is compute-bound). <paramref name="cpuTime"/>: time one-thread runs by the calling thread's CPU time
    /// (it runs every part when there is one thread), so that other jobs on a shared machine, which preempt it, do not count.
    /// </summary>
    private static void Gemv(bool quick, bool cached, bool cpuTime, int[] threadCounts, int samples, TensorDType[] dtypes)
    {
        // The ceiling GEMV is judged against: this machine's read bandwidth, measured now.
        var peak = threadCounts.ToDictionary(t => t, MemoryBandwidth.MeasureGBps);
        Console.WriteLine();
        Console.WriteLine("memory read bandwidth (Vector512 sum over 1 GiB)");
        foreach (int threads in threadCounts)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  threads {threads}: {peak[threads],6:F1} GB/s"));
        }
        Console.WriteLine();
        Console.WriteLine(cached ? "GEMV, tokens = 1, weights in cache (weight bytes / time)" : "GEMV, tokens = 1 (weight bytes / time)");
        foreach (var dtype in dtypes)
        {
            foreach (var shape in quick ? Shapes.Where(s => s.Name != "lm_head") : Shapes)
            {
                using var weights = new WeightSet(dtype, shape.Out, shape.In, cached ? 0 : StreamBytes);
                foreach (int threads in threadCounts)
                {
                    double seconds = TimeMatMul(weights, tokens: 1, threads, samples, cpuTime && threads == 1);
                    double gbps = weights.Bytes / seconds / 1e9;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {dtype,-5} {shape.Name,-9} {shape.Out,6}x{shape.In,-5} threads {threads}: {seconds * 1e6,9:F1} us  {gbps,6:F1} GB/s  {gbps / peak[threads] * 100,5:F1} % of {peak[threads]:F1} GB/s"));
                }
            }
        }

    }

    private static void Gemm(int[] threadCounts, int samples, int tokens, TensorDType[] dtypes)
    {
        Console.WriteLine();
        Console.WriteLine($"multi-token matmul, tokens = {tokens} (Q8_0: register tiles; F32 past 4 tokens, F16/BF16 past 16: tiled GEMM)");
        foreach (var dtype in dtypes)
        {
            foreach (var shape in Shapes.Where(s => s.Name != "lm_head"))
            {
                // Small batches are memory-bound like decode: stream from DRAM; large ones reuse one copy.
                using var weights = new WeightSet(dtype, shape.Out, shape.In, tokens <= 16 ? StreamBytes : 0);
                foreach (int threads in threadCounts)
                {
                    double seconds = TimeMatMul(weights, tokens, threads, samples);
                    double gflops = 2.0 * shape.Out * shape.In * tokens / seconds / 1e9;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {dtype,-5} {shape.Name,-9} {shape.Out,6}x{shape.In,-5} threads {threads}: {seconds * 1e3,8:F2} ms  {gflops,6:F1} GFLOP/s  {weights.Bytes / seconds / 1e9,6:F1} GB/s"));
                }
            }
        }
    }

    /// <summary>
    /// Continuous-batching decode: the same weights at a sweep of token counts, Q8_0 and BF16, weights streamed from
    /// DRAM as in a decode step (the model is far larger than the last-level cache). GMAC/s = rows·columns·tokens / time.
    /// </summary>
    private static void Batch(int[] threadCounts, int samples, int[] tokenCounts)
    {
        Console.WriteLine();
        Console.WriteLine($"batched decode matmul, tokens {string.Join(",", tokenCounts)}");
        foreach (var dtype in new[] { TensorDType.Q8_0, TensorDType.BF16 })
        {
            foreach (var shape in Shapes.Where(s => s.Name != "k/v_proj"))
            {
                using var weights = new WeightSet(dtype, shape.Out, shape.In, StreamBytes);
                foreach (int tokens in tokenCounts)
                {
                    foreach (int threads in threadCounts)
                    {
                        double seconds = TimeMatMul(weights, tokens, threads, samples);
                        double gmacs = (double)shape.Out * shape.In * tokens / seconds / 1e9;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  {dtype,-5} {shape.Name,-9} {shape.Out,6}x{shape.In,-5} tokens {tokens,2} threads {threads}: {seconds * 1e3,8:F3} ms  {gmacs,6:F1} GMAC/s"));
                    }
                }
            }
        }
    }

    private static string? OptionValue(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index < 0 || index + 1 >= args.Length ? null : args[index + 1];
    }

    private static int[]? ParseList(string? value) =>
        value?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

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
    private static double TimeMatMul(WeightSet weights, int tokens, int threads, int samples, bool threadCpuTime = false)
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
            double cpuStart = threadCpuTime ? ThreadCpuSeconds() : 0;
            do
            {
                backend.MatMul(weights.Next(), [], x, y, tokens);
                calls++;
            }
            while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < 20);

            times[s] = (threadCpuTime ? ThreadCpuSeconds() - cpuStart : Stopwatch.GetElapsedTime(start).TotalSeconds) / calls;
        }

        return Median(times);
    }

    /// <summary>CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID).</summary>
    private static double ThreadCpuSeconds()
    {
        const int ThreadCpuClock = 3;
        return clock_gettime(ThreadCpuClock, out var time) == 0 ? time.Seconds + (time.Nanoseconds * 1e-9) : throw new InvalidOperationException("clock_gettime failed");
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
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
                if (c > 0)
                {
                    // Copies only need distinct addresses, not distinct values; encoding each (K-quants are slow to encode) took minutes.
                    _buffers[0].Memory.CopyTo(memory);
                }
                else
                {
                    for (int r = 0; r < rows; r++)
                    {
                        if (type == TensorDType.Awq4)
                        {
                            // Awq4 exists only as repacked at load, with no encoder: random groups in its layout instead.
                            RandomAwqRow(random, memory.Span.Slice((int)(r * rowBytes), (int)rowBytes));
                            continue;
                        }

                        for (int i = 0; i < columns; i++)
                        {
                            row[i] = ((random.NextSingle() * 2) - 1) * 0.05f;
                        }

                        WeightCodec.Encode(type, row, memory.Span.Slice((int)(r * rowBytes), (int)rowBytes));
                    }
                }

                _tensors[c] = new WeightTensor($"bench.{c}", type, [rows, columns], memory);
            }
        }

        public int Out { get; }
        public int In { get; }

        /// <summary>68-byte groups as the AWQ repacker writes them: fp16 scale, 4-bit zero, padding, 64 bytes of nibbles.</summary>
        private static void RandomAwqRow(Random random, Span<byte> row)
        {
            for (int g = 0; g < row.Length; g += 68)
            {
                var group = row.Slice(g, 68);
                BinaryPrimitives.WriteHalfLittleEndian(group, (Half)(0.001 + (0.05 * random.NextDouble())));
                group[2] = (byte)random.Next(16);
                group[3] = 0;
                random.NextBytes(group[4..]);
            }
        }
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
