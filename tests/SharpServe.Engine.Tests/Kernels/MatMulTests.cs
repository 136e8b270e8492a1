using SharpServe.Engine.Kernels;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;
using static SharpServe.Engine.Tests.Kernels.KernelReference;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>
/// MatMul against double-precision references, on odd shapes that leave vector tails, through the
/// single-token GEMV, the batched GEMV (token groups of 1–4, L1 row blocks), the Q8_0 register tiles, the Q4_0, Q6_K and Q4_K rows, the Q8_0/Q4_0 and Q4_K/Q6_K int8 panel GEMMs and the tiled GEMM, with one
/// and two threads, on every vector tier this machine runs.
/// </summary>
public sealed class MatMulTests
{
    private static readonly int[] FloatColumns = [1, 3, 17, 100, 1031];
    private static readonly int[] Q8Columns = [32, 64, 544, 1056];
    private static readonly int[] KQuantColumns = [256, 512, 1280];
    private static readonly int[] Rows = [1, 37];
    private static readonly int[] TokenCounts = [1, 3, 6, 17];

    public static TheoryData<SimdTier, TensorDType> TiersAndTypes
    {
        get
        {
            var data = new TheoryData<SimdTier, TensorDType>();
            foreach (var tier in SimdTiers.Supported)
            {
                // Awq4 exists only as repacked at load (its tests start from AutoAWQ tensors: Awq/AwqMatMulTests); I32 is no weight type.
                foreach (var type in Enum.GetValues<TensorDType>().Except([TensorDType.Awq4, TensorDType.I32]))
                {
                    data.Add(tier, type);
                }
            }

            return data;
        }
    }

    public static TheoryData<SimdTier, TensorDType> QuantizedTiers
    {
        get
        {
            var data = new TheoryData<SimdTier, TensorDType>();
            foreach (var tier in SimdTiers.Supported)
            {
                data.Add(tier, TensorDType.Q8_0);
                data.Add(tier, TensorDType.Q4_0);
                data.Add(tier, TensorDType.Q6_K);
                data.Add(tier, TensorDType.Q4_K);
            }

            return data;
        }
    }

    public static TheoryData<SimdTier, TensorDType> PanelTiers
    {
        get
        {
            var data = new TheoryData<SimdTier, TensorDType>();
            foreach (var tier in SimdTiers.Supported)
            {
                data.Add(tier, TensorDType.Q8_0);
                data.Add(tier, TensorDType.Q4_0);
            }

            return data;
        }
    }

    public static TheoryData<SimdTier, TensorDType> KPanelTiers
    {
        get
        {
            var data = new TheoryData<SimdTier, TensorDType>();
            foreach (var tier in SimdTiers.Supported)
            {
                data.Add(tier, TensorDType.Q4_K);
                data.Add(tier, TensorDType.Q6_K);
            }

            return data;
        }
    }

    /// <summary>
    /// F32/F16/BF16: f32 accumulation against the double reference; 1e-5 of Σ|w·x| is far above rounding
    /// noise and far below the size of one wrong or missing term. Q8_0, Q4_0, Q6_K and Q4_K must equal a scalar emulation of
    /// llama.cpp's x86 algorithm bit for bit (activation quantization, lane layout, summation order); Q8_0 and Q4_0 from
    /// <see cref="CpuKernels.PanelMinTokens"/> tokens that of its repacked GEMM (<see cref="MatMulQ8OrQ4"/>).
    /// </summary>
    [Theory]
    [MemberData(nameof(TiersAndTypes))]
    public void MatchesReference(SimdTier tier, TensorDType type)
    {
        var random = new Random(1234 + (int)type);
        foreach (int threads in new[] { 1, 2 })
        {
            using var backend = new CpuBackend(threads, tier);
            foreach (int columns in IsKQuant(type) ? KQuantColumns : TensorDTypeInfo.IsQuantized(type) ? Q8Columns : FloatColumns)
            {
                foreach (int rows in Rows)
                {
                    foreach (int tokens in TokenCounts)
                    {
                        var weight = RandomWeight(random, type, rows, columns, out byte[] bytes);
                        var bias = (rows + tokens) % 2 == 0 ? [] : RandomFloats(random, rows);
                        var x = RandomFloats(random, tokens * columns);
                        var y = new float[tokens * rows];
                        backend.MatMul(weight, bias, x, y, tokens);

                        string context = $"{tier} {type} threads {threads} [{rows}x{columns}] tokens {tokens}";
                        if (type is TensorDType.Q8_0 or TensorDType.Q4_0)
                        {
                            AssertBitwiseEqual(MatMulQ8OrQ4(type, bytes, bias, x, rows, columns, tokens), y, context);
                            continue;
                        }

                        if (type == TensorDType.Q6_K)
                        {
                            AssertBitwiseEqual(MatMulQ6K(bytes, bias, x, rows, columns, tokens), y, context);
                            continue;
                        }

                        if (type == TensorDType.Q4_K)
                        {
                            AssertBitwiseEqual(MatMulQ4K(bytes, bias, x, rows, columns, tokens), y, context);
                            continue;
                        }

                        var (expected, magnitude) = MatMul(Decode(type, bytes, rows * columns), bias, x, rows, columns, tokens);
                        for (int i = 0; i < y.Length; i++)
                        {
                            AssertClose(expected[i], y[i], (1e-5 * magnitude[i]) + 1e-6, $"{context} y[{i / rows}, {i % rows}]");
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// One token of a long row (decode's down_proj input) is quantized in block ranges, one per thread: an odd block count
    /// (131, split 65/66) must give the reference's bits on every tier, with one and two threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void LongSingleRowQuantizedInBlockRangesMatchesReference(SimdTier tier)
    {
        const int Rows = 5, Columns = 131 * 32;
        var random = new Random(77);
        foreach (var type in new[] { TensorDType.Q8_0, TensorDType.Q4_0 })
        {
            foreach (int threads in new[] { 1, 2 })
            {
                using var backend = new CpuBackend(threads, tier);
                var weight = RandomWeight(random, type, Rows, Columns, out byte[] bytes);
                var x = RandomFloats(random, Columns);
                var y = new float[Rows];
                backend.MatMul(weight, [], x, y, 1);
                AssertBitwiseEqual(MatMulQ8OrQ4(type, bytes, [], x, Rows, Columns, 1), y, $"{tier} {type} threads {threads}");
            }
        }
    }

    /// <summary>
    /// One-token Q4_0 loads 64 bytes per row and step where it uses 36 (<see cref="Engine.Kernels.MatMul.Q4PairRows"/>): the
    /// tile holding the matrix's last row must read nothing past it. The matrix here ends a mapped file on a page
    /// boundary, with nothing mapped after it, so a read past its end crashes the run; the results must still be the
    /// reference's bits, with one and two threads (two threads: only the second part holds the last row).
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void Q4_0DecodeReadsNothingPastAMatrixThatEndsTheFile(SimdTier tier)
    {
        const int Rows = 37, Columns = 64, FileBytes = 8192;
        var random = new Random(41);
        RandomWeight(random, TensorDType.Q4_0, Rows, Columns, out byte[] bytes);
        string directory = Directory.CreateTempSubdirectory("sharpserve-q4-end-").FullName;
        try
        {
            string path = Path.Combine(directory, "weights.bin");
            var file = new byte[FileBytes];
            bytes.CopyTo(file, FileBytes - bytes.Length);
            File.WriteAllBytes(path, file);
            using var mapped = Engine.Kernels.Native.MappedFile.Open(path);
            var weight = new WeightTensor("w", TensorDType.Q4_0, [Rows, Columns], mapped.Slice(FileBytes - bytes.Length, bytes.Length));
            var x = RandomFloats(random, Columns);
            foreach (int threads in new[] { 1, 2 })
            {
                using var backend = new CpuBackend(threads, tier);
                var y = new float[Rows];
                backend.MatMul(weight, [], x, y, 1);
                AssertBitwiseEqual(MatMulQ8OrQ4(TensorDType.Q4_0, bytes, [], x, Rows, Columns, 1), y, $"{tier} threads {threads}");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Q8_0, Q4_0, Q6_K and Q4_K against plain f32 math on the dequantized weights (no activation quantization): they may only
    /// differ by the activation rounding, |x − d·q| ≤ d/2 + 127·d·2⁻¹¹ (Q8_0's fp16 scale) ≤ 0.57·d per value
    /// (Q8_K for the K-quants: f32 scale, d/2, taken as 0.51·d), so |Δy| ≤ Σ|w|·0.57·d_block. Odd row counts, token counts of one GEMV group, several groups, a ragged last group, and (33) the panel GEMM.
    /// </summary>
    [Theory]
    [MemberData(nameof(QuantizedTiers))]
    public void QuantizedStaysWithinActivationRoundingOfFloatMath(SimdTier tier, TensorDType type)
    {
        var random = new Random(99);
        const int Rows = 23;
        int columns = IsKQuant(type) ? 1280 : 1056;
        int blockSize = IsKQuant(type) ? 256 : 32;
        double perValue = IsKQuant(type) ? 0.51 : 0.57; // Q8_K keeps d in f32: no fp16 term
        using var backend = new CpuBackend(2, tier);
        foreach (int tokens in new[] { 1, 5, 11, 33 })
        {
            var weight = RandomWeight(random, type, Rows, columns, out byte[] bytes);
            var w = Decode(type, bytes, Rows * columns);
            var x = RandomFloats(random, tokens * columns);
            var y = new float[tokens * Rows];
            backend.MatMul(weight, [], x, y, tokens);

            var (expected, magnitude) = MatMul(w, [], x, Rows, columns, tokens);
            for (int t = 0; t < tokens; t++)
            {
                for (int o = 0; o < Rows; o++)
                {
                    double bound = 0;
                    for (int b = 0; b < columns / blockSize; b++)
                    {
                        double amax = 0, wsum = 0;
                        for (int j = 0; j < blockSize; j++)
                        {
                            amax = Math.Max(amax, Math.Abs(x[(t * columns) + (b * blockSize) + j]));
                            wsum += Math.Abs(w[(o * columns) + (b * blockSize) + j]);
                        }

                        bound += wsum * perValue * amax / 127;
                    }

                    int i = (t * Rows) + o;
                    AssertClose(expected[i], y[i], bound + (1e-5 * magnitude[i]), $"{tier} {type} tokens {tokens} y[{t}, {o}]");
                }
            }
        }
    }

    /// <summary>
    /// Q8_0 register tiles (one row for up to 2 tokens, else 4 rows; groups of up to 4 tokens) at every token count up to 70, on row counts that
    /// leave a partial tile in each thread's range and, for the widest, more rows than one L2 row block:
    /// bit for bit against the scalar ggml emulation (from <see cref="CpuKernels.PanelMinTokens"/> tokens the panel GEMM's,
    /// <see cref="MatMulPanel"/>). Tokens are independent, so one 70-token reference of each order serves every prefix.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void Q8_0TilesMatchReferenceAtEveryTokenCount(SimdTier tier)
    {
        const int MaxTokens = 70;
        var random = new Random(77);
        var tokenCounts = Enumerable.Range(1, MaxTokens).ToArray();
        foreach (var (rows, columns, counts) in new[] { (1, 32, tokenCounts), (6, 96, tokenCounts), (150, 1056, [1, 2, 3, 4, 5, 7, 8, 9, 33, 64, 70]) })
        {
            var weight = RandomWeight(random, TensorDType.Q8_0, rows, columns, out byte[] bytes);
            var bias = rows % 2 == 0 ? [] : RandomFloats(random, rows);
            var x = RandomFloats(random, MaxTokens * columns);
            var tiles = MatMulQ8(bytes, bias, x, rows, columns, MaxTokens);
            var panels = MatMulPanel(TensorDType.Q8_0, bytes, bias, x, rows, columns, MaxTokens);
            foreach (int threads in new[] { 1, 2 })
            {
                using var backend = new CpuBackend(threads, tier);
                foreach (int tokens in counts)
                {
                    var y = new float[tokens * rows];
                    backend.MatMul(weight, bias, x.AsSpan(0, tokens * columns), y, tokens);
                    var expected = tokens >= CpuKernels.PanelMinTokens ? panels : tiles;
                    AssertBitwiseEqual(expected[..y.Length], y, $"{tier} threads {threads} [{rows}x{columns}] tokens {tokens}");
                }
            }
        }
    }

    /// <summary>
    /// The panel GEMMs on both sides of <see cref="CpuKernels.PanelMinTokens"/>, bit for bit against the order each side
    /// claims: Q8_0 and Q4_0 (<see cref="MatMulQ8OrQ4"/>; 32·odd columns, and 131104 columns that split 33 tokens into
    /// 24-token chunks repacking every panel), Q4_K and Q6_K (<see cref="MatMulKQuant"/>; 256·odd columns, and 131328 columns:
    /// 28-token chunks). Odd row counts (a short last 8-row panel; 29: a 32-row K-quant panel whose second 16-row half is short),
/// ragged last token tiles (33, 70; 40 ends in a 4-token K-quant tile on the 512-bit tier), with and without bias,
    /// one and two threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(PanelTiers))]
    [MemberData(nameof(KPanelTiers))]
    public void PanelGemmMatchesRepackedOrder(SimdTier tier, TensorDType type)
    {
        var random = new Random(31);
        var cases = IsKQuant(type)
            ? new[] { (13, 256, new[] { 31, 32, 33, 70 }), (37, 768, [5, 32, 33, 70]), (29, 512, [40]), (13, 131328, [33]) }
            : new[] { (13, 96, new[] { 5, 8, 31, 32, 33, 70 }), (37, 1056, [5, 8, 31, 32, 33, 70]), (13, 131104, [33]) };
        foreach (var (rows, columns, counts) in cases)
        {
            var weight = RandomWeight(random, type, rows, columns, out byte[] bytes);
            foreach (int tokens in counts)
            {
                var x = RandomFloats(random, tokens * columns);
                foreach (var bias in new[] { [], RandomFloats(random, rows) })
                {
                    var expected = IsKQuant(type)
                        ? MatMulKQuant(type, bytes, bias, x, rows, columns, tokens)
                        : MatMulQ8OrQ4(type, bytes, bias, x, rows, columns, tokens);
                    foreach (int threads in new[] { 1, 2 })
                    {
                        using var backend = new CpuBackend(threads, tier);
                        var y = new float[tokens * rows];
                        backend.MatMul(weight, bias, x, y, tokens);
                        AssertBitwiseEqual(expected, y, $"{tier} {type} threads {threads} [{rows}x{columns}] tokens {tokens} bias {bias.Length > 0}");
                    }
                }
            }
        }
    }

    /// <summary>More tokens than one GEMM block (128) and k past several 512-wide chunks.</summary>
    [Theory]
    [MemberData(nameof(TiersAndTypes))]
    public void CrossesGemmTokenBlocks(SimdTier tier, TensorDType type)
    {
        var random = new Random(5);
        const int Rows = 9, Tokens = 131;
        int columns = IsKQuant(type) ? 1280 : 1088;
        using var backend = new CpuBackend(2, tier);
        var weight = RandomWeight(random, type, Rows, columns, out byte[] bytes);
        var bias = RandomFloats(random, Rows);
        var x = RandomFloats(random, Tokens * columns);
        var y = new float[Tokens * Rows];
        backend.MatMul(weight, bias, x, y, Tokens);

        if (type is TensorDType.Q8_0 or TensorDType.Q4_0)
        {
            AssertBitwiseEqual(MatMulQ8OrQ4(type, bytes, bias, x, Rows, columns, Tokens), y, $"{tier}");
            return;
        }

        if (IsKQuant(type))
        {
            AssertBitwiseEqual(MatMulKQuant(type, bytes, bias, x, Rows, columns, Tokens), y, $"{tier}");
            return;
        }

        var (expected, magnitude) = MatMul(Decode(type, bytes, Rows * columns), bias, x, Rows, columns, Tokens);
        for (int i = 0; i < y.Length; i++)
        {
            AssertClose(expected[i], y[i], (1e-5 * magnitude[i]) + 1e-6, $"{tier} {type} y[{i / Rows}, {i % Rows}]");
        }
    }

    /// <summary>
    /// A Q8_0 "selector" matrix (row r has a single quant 1 at column r, scale 1) makes y[t, r] = d·q of the
    /// quantized activation exactly, so this checks the activation quantization bit for bit, including
    /// round-half-even ties and all-zero blocks, on the GEMV and the GEMM path.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void QuantizesActivationsLikeGgmlBitForBit(SimdTier tier)
    {
        const int Columns = 256;
        var bytes = new byte[Columns * Columns / 32 * 34];
        for (int r = 0; r < Columns; r++)
        {
            for (int b = 0; b < Columns / 32; b++)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(((r * Columns / 32) + b) * 34), (ushort)0x3C00);
            }

            bytes[((r * Columns / 32) + (r / 32)) * 34 + 2 + (r % 32)] = 1;
        }

        var selector = new WeightTensor("selector", TensorDType.Q8_0, [Columns, Columns], bytes);
        var random = new Random(3);
        using var backend = new CpuBackend(2, tier);
        foreach (int tokens in new[] { 1, 3, 9 })
        {
            var x = RandomFloats(random, tokens * Columns, 3f);
            for (int j = 0; j < 32; j++)
            {
                x[32 + j] = (j - 16) * 0.5f;   // amax 8: x·127/8 lands on many exact .5 ties
                x[64 + j] = 0;                 // d = 0 block
            }

            var y = new float[tokens * Columns];
            backend.MatMul(selector, [], x, y, tokens);
            for (int t = 0; t < tokens; t++)
            {
                var (quants, scales) = QuantizeActivations(x.AsSpan(t * Columns, Columns));
                for (int i = 0; i < Columns; i++)
                {
                    Assert.Equal(scales[i / 32] * quants[i], y[(t * Columns) + i]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void F16WeightsKeepSubnormalsAndExtremes(SimdTier tier)
    {
        // 64 columns: two full vector chunks on every tier, edge values in even and odd lanes.
        // (Non-finite weights are out of scope: the GEMV decodes halves without an inf/NaN check.)
        ushort[] edge = [0x0001, 0x83FF, 0x7BFF, 0x8000, 0x0400, 0xFBFF, 0x3C00, 0x0200];
        var bytes = new byte[64 * 2];
        for (int i = 0; i < 64; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), edge[i % edge.Length]);
        }

        var weight = new WeightTensor("edge", TensorDType.F16, [1, 64], bytes);
        var x = Enumerable.Range(0, 64).Select(i => (float)Math.Pow(2, (i % 7) - 3)).ToArray();
        var y = new float[1];
        using var backend = new CpuBackend(1, tier);
        backend.MatMul(weight, [], x, y, 1);

        var (expected, magnitude) = MatMul(Decode(TensorDType.F16, bytes, 64), [], x, 1, 64, 1);
        AssertClose(expected[0], y[0], 1e-6 * magnitude[0], $"{tier} edge row");
    }

    [Fact]
    public void RejectsMismatchedShapes()
    {
        using var backend = new CpuBackend(1);
        var weight = new WeightTensor("w", TensorDType.F32, [3, 4], new byte[48]);
        Assert.Throws<ArgumentException>(() => backend.MatMul(weight, [], new float[7], new float[6], 2));
        Assert.Throws<ArgumentException>(() => backend.MatMul(weight, [], new float[8], new float[5], 2));
        Assert.Throws<ArgumentException>(() => backend.MatMul(weight, new float[2], new float[8], new float[6], 2));
        var shortData = new WeightTensor("w", TensorDType.F16, [3, 4], new byte[23]);
        Assert.Throws<ArgumentException>(() => backend.MatMul(shortData, [], new float[4], new float[3], 1));
    }

    /// <summary>K-quants: rows of whole 256-value super-blocks, dotted against Q8_K activations.</summary>
    private static bool IsKQuant(TensorDType type) => type is TensorDType.Q6_K or TensorDType.Q4_K;
}
