using System.Text.RegularExpressions;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Creation;

public sealed partial class CreateModelTests
{
    [Fact]
    public void R1DistillPreset_EqualsTheRealConfigJson()
    {
        // The config.json transcribed in ../shared (an independent copy of the model's own file).
        string notes = File.ReadAllText(Path.Combine(Path.GetDirectoryName(RepoPaths.SharedTokenizerJson)!, "DEEPSEEK_R1_DISTILL_NOTES.md"));
        string json = ConfigBlock().Match(notes).Groups[1].Value;
        var real = Qwen2Config.FromJson(json, "DEEPSEEK_R1_DISTILL_NOTES.md");
        Assert.Equal(real, ModelPresets.R1Distill1_5B);
    }

    [Fact]
    public void WrittenModels_LoadBackWithTheirConfig_InBothFormats()
    {
        using var gguf = ModelLoader.Load(TestModels.OddGguf(TensorDType.F32));
        Assert.Equal(TestModels.OddShape with { BosTokenId = gguf.Config.BosTokenId, EosTokenId = gguf.Config.EosTokenId }, gguf.Config);
        Assert.NotNull(gguf.Tokenizer);
        Assert.Equal(TestModels.DistillTokenizerSpec.ChatTemplate, gguf.Tokenizer!.ChatTemplate);

        using var hf = ModelLoader.Load(TestModels.TinyHf(TensorDType.BF16));
        Assert.Equal(ModelPresets.Tiny.HiddenSize, hf.Config.HiddenSize);
        Assert.Equal("bfloat16", hf.Config.TorchDtype);
        Assert.All(hf.Tensors.Values, t => Assert.Equal(TensorDType.BF16, t.Type));
        Assert.Equal(151646, hf.Generation.BosTokenId);
    }

    [Theory]
    [InlineData(TensorDType.Q8_0)]
    [InlineData(TensorDType.Q4_0)]
    public void HfFormat_RefusesGgufQuantizations_AndLeavesNothingBehind(TensorDType type)
    {
        string path = Path.Combine(Path.GetTempPath(), $"sharpserve-refuse-{Guid.NewGuid():N}");
        var spec = new RandomModelSpec(ModelPresets.Tiny, ModelFileFormat.Hf, type, 1, null);
        var error = Assert.Throws<ArgumentException>(() => RandomModelWriter.Write(spec, path));
        Assert.Contains("gguf", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(path) || File.Exists(path));
    }

    [GeneratedRegex(@"## config\.json[^\n]*\n+```json\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ConfigBlock();
}
