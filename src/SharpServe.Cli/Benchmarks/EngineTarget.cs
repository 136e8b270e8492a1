using System.Globalization;
using SharpServe.Cli.Commands;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;

namespace SharpServe.Cli.Benchmarks;

/// <summary>SharpServe's continuous-batching <see cref="LlmEngine"/> as a benchmark target.</summary>
public sealed class EngineTarget : IGenerationTarget, IDisposable
{
    private readonly LlmEngine _engine;
    private int _lastRequestId;

    private EngineTarget(LlmEngine engine) => _engine = engine;

    /// <summary>An engine over <paramref name="model"/> with the benchmark's scheduler limits and KV-cache size.</summary>
    public static EngineTarget Create(LoadedModel model, BenchmarkSettings settings, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        // The closed loop never has more than the largest concurrency live, so that many may wait.
        var scheduler = new SchedulerConfig(settings.MaxNumBatchedTokens, settings.MaxNumSeqs, settings.MaxModelLen, maxQueue: settings.Concurrency.Max());
        if (settings.MemoryUtilization is null && settings.KvCacheMemoryBytes is null)
        {
            log($"bench: KV cache sized for --max-num-seqs {settings.MaxNumSeqs} sequences of --max-model-len {settings.MaxModelLen} tokens");
        }

        return new EngineTarget(LlmEngine.Create(model, scheduler, Memory(model, settings), log));
    }

    public async IAsyncEnumerable<int> Generate(int[] promptIds, int maxTokens)
    {
        var request = new EngineRequest(
            $"bench-{Interlocked.Increment(ref _lastRequestId)}",
            promptIds,
            new SamplingParams(temperature: 0, maxTokens: maxTokens, ignoreEos: true));
        await foreach (RequestOutput output in _engine.Submit(request).ReadAllAsync().ConfigureAwait(false))
        {
            yield return output.NewTokenIds.Count;
        }
    }

    /// <summary>The engine's limits as they go into the JSON report.</summary>
    public static IReadOnlyDictionary<string, string> Describe(BenchmarkSettings settings, string device)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new Dictionary<string, string>
        {
            ["max_num_seqs"] = settings.MaxNumSeqs.ToString(CultureInfo.InvariantCulture),
            ["max_num_batched_tokens"] = settings.MaxNumBatchedTokens.ToString(CultureInfo.InvariantCulture),
            ["max_model_len"] = settings.MaxModelLen.ToString(CultureInfo.InvariantCulture),
            ["kv_cache"] = $"{settings.KvCacheDType}, paged 16-token blocks, prefix caching on",
            ["threads"] = settings.Threads.ToString(CultureInfo.InvariantCulture),
            ["device"] = device,
        };
    }

    public void Dispose() => _engine.Dispose();

    /// <summary>
    /// The flags when given; otherwise a KV cache for exactly max-num-seqs full-length sequences (the
    /// llama.cpp peer gets the same), rather than vLLM's 90 % of the machine, which on a shared CPU host
    /// would claim memory other processes need without making the benchmark any faster.
    /// </summary>
    private static EngineMemoryOptions Memory(LoadedModel model, BenchmarkSettings settings)
    {
        if (settings.MemoryUtilization is not null || settings.KvCacheMemoryBytes is not null)
        {
            return new EngineMemoryOptions
            {
                MemoryUtilization = settings.MemoryUtilization ?? 0.9,
                KvCacheMemoryBytes = settings.KvCacheMemoryBytes,
                KvCacheDType = settings.KvCacheDType,
                DeviceTotalBytes = CardMemory.TotalBytes(model),
                DeviceFreeBytes = CardMemory.FreeBytes(model),
            };
        }

        int block = Engine.KvCache.KvCachePool.DefaultBlockSize;
        long tokens = (long)settings.MaxNumSeqs * ((settings.MaxModelLen + block - 1) / block * block);
        return new EngineMemoryOptions
        {
            KvCacheMemoryBytes = tokens * ModelMemory.KvBytesPerToken(model.Config, settings.KvCacheDType),
            KvCacheDType = settings.KvCacheDType,
            DeviceTotalBytes = CardMemory.TotalBytes(model),
            DeviceFreeBytes = CardMemory.FreeBytes(model),
        };
    }
}
