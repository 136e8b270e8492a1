using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Tests.TestSupport;
using Xunit.Abstractions;
using static SharpServe.Engine.Tests.TestSupport.EngineHarness;

namespace SharpServe.Engine.Tests.Awq;

/// <summary>
/// An AutoAWQ model against the same model with its weights dequantized to f32 (an HF f32 checkpoint written from the
/// tests' own per-element unpacking). llama.cpp cannot read AWQ, so the f32 path, itself checked against llama.cpp, is
/// the reference; the only difference left is the AWQ kernel's 8-bit rounding of the activations.
/// </summary>
public sealed class AwqModelTests(ITestOutputHelper output)
{
    private static readonly int[] Prompt = RandomPrompt(64, seed: 21);

    [Theory]
    [InlineData(64)]
    [InlineData(1)]
    [InlineData(7)]
    public void Logits_StayCloseToTheDequantizedF32Model(int chunk)
    {
        using var temp = new TempDirectory();
        string awqPath = TestModels.AwqShapeHf(TensorDType.Awq4);
        WriteDequantizedTwin(awqPath, temp.Path);
        using var awq = LoadedModel.Open(awqPath, threads: 2);
        using var reference = LoadedModel.Open(temp.Path, threads: 2);

        var expected = PromptLogits(reference, Prompt, Prompt.Length);
        var actual = PromptLogits(awq, Prompt, chunk);
        float scale = expected.Max(row => row.Max(Math.Abs));
        float diff = MaxAbsDiff(actual, expected);
        int agree = expected.Zip(actual).Count(pair => Engine.Sampling.Greedy.ArgMax(pair.First) == Engine.Sampling.Greedy.ArgMax(pair.Second));
        output.WriteLine($"AWQ vs dequantized f32, chunks of {chunk}: max |Δlogit| {diff:E2} (logit scale {scale:F2}), argmax {agree}/{Prompt.Length}");

        // Q8_0 activations move each matmul output by ~0.2 % of its size (see AwqMatMulTests); through two layers and
        // the head that stays within 2 % of the logit scale. Dropping the zero points (z = 0) or swapping two nibble
        // columns moves the logits by tens of percent.
        Assert.True(diff <= 0.02f * scale, $"max |Δlogit| {diff} > 2 % of {scale}");
        Assert.True(agree >= Prompt.Length * 0.95, $"argmax agreed at {agree} of {Prompt.Length} positions");
    }

    /// <summary>config.json without quantization_config and every tensor in f32, the projections dequantized element by element.</summary>
    private static void WriteDequantizedTwin(string awqPath, string directory)
    {
        var config = Qwen2Config.FromJson(File.ReadAllText(Path.Combine(awqPath, "config.json")), awqPath) with { Quantization = null, TorchDtype = "float32" };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        using var file = SafetensorsReader.Open(Path.Combine(awqPath, SafetensorsWeights.SingleFileName));
        var writer = new SafetensorsWriter();
        foreach (var (name, tensor) in file.Tensors)
        {
            if (name.EndsWith(".qweight", StringComparison.Ordinal))
            {
                string prefix = name[..^".qweight".Length];
                float[] values = AwqReference.Dequantize(tensor, file.Tensors[prefix + ".qzeros"], file.Tensors[prefix + ".scales"]);
                writer.AddTensor(prefix + ".weight", TensorDType.F32, [tensor.Shape[1] * 8, tensor.Shape[0]], stream => stream.Write(AsBytes(values)));
            }
            else if (!name.EndsWith(".qzeros", StringComparison.Ordinal) && !name.EndsWith(".scales", StringComparison.Ordinal))
            {
                float[] values = WeightCodec.ToFloat(tensor);
                writer.AddTensor(name, TensorDType.F32, tensor.Shape, stream => stream.Write(AsBytes(values)));
            }
        }

        writer.Write(Path.Combine(directory, SafetensorsWeights.SingleFileName));
    }

    private static byte[] AsBytes(float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        WeightCodec.Encode(TensorDType.F32, values, bytes);
        return bytes;
    }
}
