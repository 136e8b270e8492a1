using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Engine.KvCache;

/// <summary>
/// The paged KV cache: a fixed pool of blocks of <see cref="BlockSize"/> token slots, shared by all
/// sequences, with one K and one V array per layer, elements of <see cref="DType"/>. Blocks are handed out from a free list; a
/// sequence records the blocks it owns in its <see cref="BlockTable"/>.
/// </summary>
public sealed class KvCachePool : IDisposable
{
    public const int DefaultBlockSize = 16;

    private readonly Stack<int> _free;

    /// <summary>A pool in host memory, for the CPU backend.</summary>
    public KvCachePool(Qwen2Config config, int blocks, int blockSize = DefaultBlockSize, KvCacheDType dtype = KvCacheDType.Float32)
        : this(config, blocks, blockSize, dtype, (slots, kvDim, type) => new KvLayerCache(slots, kvDim, type))
    {
    }

    /// <summary>A pool whose layers <paramref name="backend"/> allocates, where it computes.</summary>
    public KvCachePool(Qwen2Config config, int blocks, int blockSize, KvCacheDType dtype, IComputeBackend backend)
        : this(config, blocks, blockSize, dtype, backend.AllocateKvLayer)
    {
    }

    private KvCachePool(Qwen2Config config, int blocks, int blockSize, KvCacheDType dtype, Func<int, int, KvCacheDType, KvLayer> allocate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        BlockSize = blockSize;
        BlockCount = blocks;
        DType = dtype;
        Layers = Enumerable.Range(0, config.NumHiddenLayers)
            .Select(_ => allocate(blocks * blockSize, config.KvDim, dtype))
            .ToArray();
        // Hand out low block ids first: makes block tables easy to read in logs and tests.
        _free = new Stack<int>(Enumerable.Range(0, blocks).Reverse());
    }

    public int BlockSize { get; }
    public int BlockCount { get; }
    public KvCacheDType DType { get; }
    public int FreeBlocks => _free.Count;
    public IReadOnlyList<KvLayer> Layers { get; }

    /// <summary>Bytes of K and V per token over all layers.</summary>
    public static long BytesPerToken(Qwen2Config config, KvCacheDType dtype) => ModelMemory.KvBytesPerToken(config, dtype);

    /// <summary>
    /// Touches every page of the pool, keeping its contents. A fresh array's pages are backed by the OS at their first write —
    /// here a StoreKv that fills new slots, about 12 µs a 4 KiB page on this project's VMs (3 s a GiB), 3–4 % of a benchmark's
    /// first prefill or batched steps — so benchmarks pay it before timing, as llama.cpp does by clearing its cache when it
    /// creates a context. A server reuses freed blocks first and pays it once per page, so it does not call this.
    /// </summary>
    public void Prefault()
    {
        foreach (var layer in Layers)
        {
            layer.Prefault();
        }
    }

    public bool TryAllocate(out int block) => _free.TryPop(out block);

    public void Free(int block)
    {
        CheckBlock(block, nameof(block));
        _free.Push(block);
    }

    /// <summary>
    /// Copies the K and V of every slot of block <paramref name="source"/> into block <paramref name="destination"/>
    /// in every layer: forking a sequence shares its full blocks and copies the partly filled last one.
    /// </summary>
    public void CopyBlock(int source, int destination)
    {
        CheckBlock(source, nameof(source));
        CheckBlock(destination, nameof(destination));
        if (source == destination)
        {
            return;
        }

        foreach (var layer in Layers)
        {
            layer.CopySlots(source * BlockSize, destination * BlockSize, BlockSize);
        }
    }

    private void CheckBlock(int block, string name)
    {
        if ((uint)block >= (uint)BlockCount)
        {
            throw new ArgumentOutOfRangeException(name, block, $"block outside the {BlockCount}-block pool");
        }
    }

    /// <summary>Frees every layer (on a GPU, its device memory).</summary>
    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }
    }
}
