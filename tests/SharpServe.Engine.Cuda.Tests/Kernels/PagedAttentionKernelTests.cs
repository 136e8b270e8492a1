using SharpServe.Engine.Cuda.Kernels;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

[Collection(SimulatedDeviceCollection.Name)]
public sealed class PagedAttentionKernelTests(SimulatedDevice device)
{
    private const int BlockSize = 4;
    private const int CacheBlocks = 8;

    public static TheoryData<KvCacheDType, int, int, int> Cases => new()
    {
        { KvCacheDType.Float32, 4, 2, 40 },    // head_dim not a multiple of 32: lanes own two or one dimensions
        { KvCacheDType.Float16, 4, 4, 16 },    // the tiny preset's heads: half the lanes own nothing
        { KvCacheDType.BFloat16, 12, 2, 128 }, // r1-distill's heads: six query heads per KV head
    };

    /// <summary>
    /// A mixed batch over scattered blocks: a prefill chunk (positions 3…8, earlier positions already cached, blocks 6, 2, 4)
    /// and a decode token (position 10, blocks 1, 7, 3).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReferenceBitForBit_AndTheCpuBackend(KvCacheDType dtype, int heads, int kvHeads, int headDim)
    {
        var metadata = new AttentionMetadata(BlockSize);
        metadata.AddSequence(tokenCount: 6, startPosition: 3, blockTable: [6, 2, 4]);
        metadata.AddSequence(tokenCount: 1, startPosition: 10, blockTable: [1, 7, 3]);
        int tokens = metadata.TokenCount;
        int kvDim = kvHeads * headDim;
        var type = StoreKvKernelTests.CacheType(dtype);
        var (keys, keyBytes) = TestData.Store(TestData.Floats(CacheBlocks * BlockSize * kvDim, 16), type);
        var (values, valueBytes) = TestData.Store(TestData.Floats(CacheBlocks * BlockSize * kvDim, 17), type);
        var q = TestData.Floats(tokens * heads * headDim, 18, 2f);

        var arrays = AttentionArrays.From(metadata);
        using var dq = device.Upload(q);
        using var dKeys = device.Upload(keyBytes);
        using var dValues = device.Upload(valueBytes);
        using var positions = device.Upload(arrays.Positions.ToArray());
        using var tokenTables = device.Upload(arrays.TokenTables.ToArray());
        using var blockTables = device.Upload(arrays.BlockTables.ToArray());
        using var output = device.Upload(new float[tokens * heads * headDim]);
        var shape = new AttentionShape(heads, kvHeads, headDim, BlockSize, 1f / MathF.Sqrt(headDim));
        device.Kernels.Attention(device.Stream, dq.View, type, dKeys.View, dValues.View, positions.View, tokenTables.View, blockTables.View, output.View, shape);
        var actual = device.Download(output);

        int[][] tables = [.. Enumerable.Repeat<int[]>([6, 2, 4], 6), [1, 7, 3]];
        TestData.BitwiseEqual(KernelReferences.Attention(q, keys, values, arrays.Positions.ToArray(), tables, heads, kvHeads, headDim, BlockSize), actual);

        var cache = new KvLayerCache(CacheBlocks * BlockSize, kvDim, dtype);
        keyBytes.CopyTo(cache.Keys, 0);
        for (int slot = 0; slot < cache.Slots; slot++)
        {
            cache.WriteValueRow(slot, valueBytes.AsSpan(slot * cache.SlotBytes, cache.SlotBytes));
        }

        using var cpu = new CpuBackend(1);
        var expected = new float[tokens * heads * headDim];
        cpu.Attention(q, cache, metadata, heads, kvHeads, headDim, expected);
        Assert.True(TestData.RelativeError(actual, expected) < 1e-5, $"error {TestData.RelativeError(actual, expected)}");
    }

    [Fact]
    public void FlattensTheMetadataPerToken()
    {
        var metadata = new AttentionMetadata(BlockSize);
        metadata.AddSequence(tokenCount: 2, startPosition: 3, blockTable: [6, 2, 4, 9]);   // a table longer than needed
        metadata.AddSequence(tokenCount: 1, startPosition: 0, blockTable: [5]);

        var arrays = AttentionArrays.From(metadata);

        Assert.Equal([3, 4, 0], arrays.Positions.ToArray());
        Assert.Equal([(6 * 4) + 3, (2 * 4) + 0, (5 * 4) + 0], arrays.Slots.ToArray());
        Assert.Equal([0, 0, 2], arrays.TokenTables.ToArray());
        Assert.Equal([6, 2, 5], arrays.BlockTables.ToArray());

        // The next step reuses the arrays: a smaller batch must not see the previous step's tail.
        var next = new AttentionMetadata(BlockSize);
        next.AddSequence(tokenCount: 1, startPosition: 5, blockTable: [1, 7]);
        arrays.Fill(next);
        Assert.Equal([5], arrays.Positions.ToArray());
        Assert.Equal([0], arrays.TokenTables.ToArray());
        Assert.Equal([1, 7], arrays.BlockTables.ToArray());
    }

    [Fact]
    public void RefusesHeadsLargerThanTheKernelHolds()
    {
        using var empty = device.Upload(new float[1]);
        using var ints = device.Upload(new int[1]);
        using var bytes = device.Upload(new byte[4]);

        var error = Assert.Throws<NotSupportedException>(() => device.Kernels.Attention(
            device.Stream, empty.View, Loading.TensorDType.F32, bytes.View, bytes.View, ints.View, ints.View, ints.View, empty.View,
            new AttentionShape(1, 1, PagedAttentionKernel.MaxHeadDim + 2, BlockSize, 1f)));
        Assert.Contains("head_dim", error.Message);
    }
}
