using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Tests.TestSupport;
using Xunit.Abstractions;
using static SharpServe.Engine.Tests.TestSupport.EngineHarness;

namespace SharpServe.Engine.Tests.Models;

/// <summary>The same random model in different files and dtypes gives the same (or, for rounded weights, close) logits.</summary>
public sealed class FormatTwinTests(ITestOutputHelper output)
{
    private static readonly int[] Prompt = RandomPrompt(48, seed: 99);

    [Fact]
    public void HfSafetensorsF32_MatchesItsGgufTwin()
    {
        using var gguf = LoadedModel.Open(TestModels.TinyGguf(TensorDType.F32), threads: 2);
        using var hf = LoadedModel.Open(TestModels.TinyHf(TensorDType.F32), threads: 2);
        float diff = MaxAbsDiff(PromptLogits(hf, Prompt, 48), PromptLogits(gguf, Prompt, 48));
        output.WriteLine($"HF F32 vs GGUF F32: max |Δlogit| = {diff:E2}");
        Assert.True(diff <= 1e-5f, $"max |Δ| {diff}");
    }

    [Theory]
    [InlineData(TensorDType.BF16)]
    [InlineData(TensorDType.F16)]
    public void HalfPrecisionCopy_ComputesExactlyOnItsRoundedWeights_AndStaysCloseToF32(TensorDType type)
    {
        using var f32 = LoadedModel.Open(TestModels.TinyHf(TensorDType.F32), threads: 2);
        using var half = LoadedModel.Open(TestModels.TinyHf(type), threads: 2);
        var halfLogits = PromptLogits(half, Prompt, 48);

        // 1. The half-precision kernels are exact: the same rounded weights widened to f32 give the same logits.
        using var widened = WidenedTwin(half);
        float kernelDiff = MaxAbsDiff(halfLogits, PromptLogits(widened, Prompt, 48));

        // 2. Rounding the weights moves the logits only a little. A weight rounded to 8 (bf16) or 11 (f16)
        // significant bits changes by at most 2^-9 / 2^-12 relative; through two layers and the tied
        // head that stays within a few percent of the logit scale, bf16 looser than f16.
        var f32Logits = PromptLogits(f32, Prompt, 48);
        float scale = f32Logits.Max(row => row.Max(Math.Abs));
        float roundingDiff = MaxAbsDiff(halfLogits, f32Logits);
        float bound = (type == TensorDType.BF16 ? 0.03f : 0.004f) * scale;
        output.WriteLine($"{type}: kernel vs widened weights {kernelDiff:E2}; vs F32 model {roundingDiff:E3} (logit scale {scale:F2}, bound {bound:E2})");
        Assert.True(kernelDiff <= 1e-4f, $"kernel |Δ| {kernelDiff}");
        Assert.True(roundingDiff <= bound, $"rounding |Δ| {roundingDiff} > {bound}");
    }

    /// <summary>An in-memory F32 copy of a model's weights, so only the kernels differ.</summary>
    private static LoadedModel WidenedTwin(LoadedModel source)
    {
        var widened = source.Checkpoint.Tensors.ToDictionary(
            kv => kv.Key,
            kv =>
            {
                float[] values = WeightCodec.ToFloat(kv.Value);
                var bytes = new byte[values.Length * sizeof(float)];
                WeightCodec.Encode(TensorDType.F32, values, bytes);
                return new WeightTensor(kv.Key, TensorDType.F32, kv.Value.Shape, bytes);
            });
        var checkpoint = new ModelCheckpoint(source.Checkpoint.Path, source.Config, widened, source.Checkpoint.Names, null, source.Checkpoint.Generation, []);
        return LoadedModel.FromCheckpoint(checkpoint, threads: 2);
    }
}
