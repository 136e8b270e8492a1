using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;
using SharpServe.Engine.Tests.TestSupport;
using Xunit.Abstractions;
using static SharpServe.Engine.Tests.TestSupport.EngineHarness;

namespace SharpServe.Engine.Tests.Models;

/// <summary>The whole forward pass with a 16-bit KV cache against the same model with an f32 one.</summary>
public sealed class KvCacheDTypeTests(ITestOutputHelper output)
{
    private static readonly int[] Prompt = RandomPrompt(64, seed: 99);

    /// <summary>
    /// Tiny F32 model, 64 positions in chunks of 13, max |Δlogit| against the f32 cache. Measured: f16 4.2e-3, bf16 3.7e-2
    /// (the 8× gap of their mantissas, 11 vs 8 bits). The upper bounds leave ~40 % margin yet fail a store that truncates
    /// instead of rounding to nearest even (measured f16 9.1e-3, bf16 6.8e-2) or decodes the wrong KV head (15); the lower
    /// bounds fail a cache that quietly keeps the unrounded f32 values (Δ = 0).
    /// </summary>
    [Theory]
    [InlineData(KvCacheDType.Float16, 1e-3f, 6e-3f)]
    [InlineData(KvCacheDType.BFloat16, 1e-2f, 5e-2f)]
    public void Logits_DifferFromTheF32CacheByTheRoundingOnly(KvCacheDType dtype, float lower, float upper)
    {
        using var model = LoadedModel.Open(TestModels.TinyGguf(TensorDType.F32), threads: 2);
        var expected = PromptLogits(model, Prompt, chunk: 13);
        var actual = PromptLogits(model, Prompt, chunk: 13, dtype);
        float diff = MaxAbsDiff(actual, expected);
        output.WriteLine($"{dtype} KV: max |Δlogit| vs f32 KV = {diff:E3}");
        Assert.True(diff >= lower && diff <= upper, $"max |Δ| {diff} outside [{lower}, {upper}]");
    }
}
