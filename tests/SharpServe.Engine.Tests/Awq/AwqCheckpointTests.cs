using System.Buffers.Binary;
using System.Text.Json.Nodes;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Awq;

/// <summary>create-model's AutoAWQ checkpoints, read back with the tests' own per-element formula, and config.json's quantization_config.</summary>
public sealed class AwqCheckpointTests
{
    private static readonly string[] Projections =
        ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"];

    [Fact]
    public void CreateModel_WritesAutoAwqGemmTensors_ThatDequantizeToWithinHalfAStepOfTheF32Weights()
    {
        string awq = TestModels.AwqShapeHf(TensorDType.Awq4);
        var quantization = JsonNode.Parse(File.ReadAllText(Path.Combine(awq, "config.json")))!["quantization_config"]!;
        Assert.Equal("awq", quantization["quant_method"]!.GetValue<string>());
        Assert.Equal(4, quantization["bits"]!.GetValue<int>());
        Assert.Equal(128, quantization["group_size"]!.GetValue<int>());
        Assert.True(quantization["zero_point"]!.GetValue<bool>());
        Assert.Equal("gemm", quantization["version"]!.GetValue<string>());

        using var file = SafetensorsReader.Open(Path.Combine(awq, SafetensorsWeights.SingleFileName));
        using var twin = SafetensorsReader.Open(Path.Combine(TestModels.AwqShapeHf(TensorDType.F32), SafetensorsWeights.SingleFileName));
        var tensors = file.Tensors;
        int layers = TestModels.AwqShape.NumHiddenLayers;
        Assert.Equal((7 * 3 * layers) + (twin.Tensors.Count - (7 * layers)), tensors.Count);
        foreach (var (name, tensor) in tensors.Where(kv => !kv.Key.EndsWith("qweight", StringComparison.Ordinal) && !kv.Key.EndsWith("qzeros", StringComparison.Ordinal)))
        {
            Assert.True(tensor.Type == TensorDType.F16, $"{name} is {tensor.Type}: AutoAWQ leaves everything but the packed ints in f16");
        }

        long withinHalfStep = 0, total = 0;
        for (int layer = 0; layer < layers; layer++)
        {
            foreach (string projection in Projections)
            {
                string prefix = $"model.layers.{layer}.{projection}";
                var original = twin.Tensors[prefix + ".weight"];
                int outputs = original.Shape[0], inputs = original.Shape[1];
                var qweight = tensors[prefix + ".qweight"];
                var scales = tensors[prefix + ".scales"];
                Assert.Equal([inputs, outputs / 8], qweight.Shape);
                Assert.Equal(TensorDType.I32, qweight.Type);
                Assert.Equal([inputs / 128, outputs / 8], tensors[prefix + ".qzeros"].Shape);
                Assert.Equal([inputs / 128, outputs], scales.Shape);

                float[] dequantized = AwqReference.Dequantize(qweight, tensors[prefix + ".qzeros"], scales);
                var f32 = original.Data.Span;
                for (int o = 0; o < outputs; o++)
                {
                    for (int i = 0; i < inputs; i++)
                    {
                        float s = (float)BinaryPrimitives.ReadHalfLittleEndian(scales.Data.Span[(2 * (((i / 128) * outputs) + o))..]);
                        float w = BinaryPrimitives.ReadSingleLittleEndian(f32[(4 * ((o * inputs) + i))..]);
                        float error = Math.Abs(dequantized[(o * inputs) + i] - w);
                        // Round to nearest is within s/2; a group's extreme may be clamped at 0 or 15 (s is rounded to f16
                        // and z to an integer), which costs up to one more step.
                        Assert.True(error <= 1.51f * s, $"{prefix}[{o}, {i}]: {dequantized[(o * inputs) + i]} vs {w}, step {s}");
                        withinHalfStep += error <= 0.5001f * s ? 1 : 0;
                        total++;
                    }
                }
            }
        }

        Assert.True(withinHalfStep >= total * 0.999, $"{withinHalfStep} of {total} weights within half a step");
    }

    [Fact]
    public void Loader_RepacksTheSevenProjections_AtFourAndAQuarterBitsPerWeight()
    {
        using var checkpoint = ModelLoader.Load(TestModels.AwqShapeHf(TensorDType.Awq4));
        Assert.NotNull(checkpoint.Config.Quantization);
        Assert.DoesNotContain(checkpoint.Tensors.Keys, name => name.EndsWith("qweight", StringComparison.Ordinal) || name.EndsWith("scales", StringComparison.Ordinal));
        var quantized = checkpoint.Tensors.Values.Where(t => t.Type == TensorDType.Awq4).ToArray();
        Assert.Equal(7 * TestModels.AwqShape.NumHiddenLayers, quantized.Length);
        foreach (var tensor in quantized)
        {
            Assert.Equal(tensor.ElementCount * 68 / 128, tensor.Data.Length);
        }

        long quantizedBytes = quantized.Sum(t => (long)t.Data.Length);
        Assert.Equal(4.25, 8.0 * quantizedBytes / quantized.Sum(t => t.ElementCount), 6);
        Assert.Equal(
            quantizedBytes + checkpoint.Tensors.Values.Where(t => t.Type != TensorDType.Awq4).Sum(t => 2L * t.ElementCount),
            ModelMemory.WeightBytes(checkpoint));
    }

    [Theory]
    [InlineData("\"bits\": 8", "bits 8")]
    [InlineData("\"group_size\": 64", "group_size 64")]
    [InlineData("\"version\": \"gemv\"", "version \"gemv\"")]
    [InlineData("\"version\": \"marlin\"", "version \"marlin\"")]
    [InlineData("\"zero_point\": false", "zero_point false")]
    [InlineData("\"quant_method\": \"gptq\"", "quant_method \"gptq\"")]
    public void Config_RefusesOtherQuantizations_NamingWhatIsSupported(string field, string named)
    {
        string key = field[..field.IndexOf(':', StringComparison.Ordinal)];
        var defaults = new Dictionary<string, string>
        {
            ["\"quant_method\""] = "\"awq\"", ["\"bits\""] = "4", ["\"group_size\""] = "128", ["\"zero_point\""] = "true", ["\"version\""] = "\"gemm\"",
        };
        string quantization = "{" + string.Join(", ", defaults.Select(kv => kv.Key == key ? field : $"{kv.Key}: {kv.Value}")) + "}";
        string json = TestModels.AwqShape.ToJson().TrimEnd().TrimEnd('}') + $", \"quantization_config\": {quantization} }}";

        var e = Assert.Throws<ModelFormatException>(() => Qwen2Config.FromJson(json, "config.json"));
        Assert.Contains($"quantization_config: {named} is not supported", e.Message, StringComparison.Ordinal);
        Assert.Contains("bits 4, group_size 128, zero_point true, version \"gemm\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_ReadsAutoAwqsGemmConfig_AndWritesItBack()
    {
        var config = TestModels.AwqShape with { Quantization = AwqQuantizationConfig.Instance };
        Assert.Equal(config, Qwen2Config.FromJson(config.ToJson(), "config.json"));
        Assert.Null(Qwen2Config.FromJson(TestModels.AwqShape.ToJson(), "config.json").Quantization);
    }
}
