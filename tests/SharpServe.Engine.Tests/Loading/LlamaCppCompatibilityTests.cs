using SharpServe.Engine.Tests.TestSupport;
using LLama;
using LLama.Common;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tests.Oracle;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Loading;

/// <summary>llama.cpp (LLamaSharp 0.30.0) loads the GGUF files we write and reads our metadata as intended.</summary>
public sealed class LlamaCppCompatibilityTests
{
    [Theory]
    [InlineData(TensorDType.Q8_0, false)]
    [InlineData(TensorDType.Q4_0, true)]
    [InlineData(TensorDType.F16, true)]
    [InlineData(TensorDType.BF16, false)]
    public void LlamaCppLoadsAndRunsOurTinyGguf(TensorDType matrixType, bool tied)
    {
        using var dir = new TempDirectory();
        var config = TinyQwen2.Config(tied);
        var tokenizer = ByteLevelTokenizer(config.VocabSize);
        string path = dir.File("tiny.gguf");
        TinyQwen2.WriteGguf(path, config, TinyQwen2.Tensors(config, WeightNames.Gguf, matrixType, TensorDType.F32), tokenizer);

        using (var weights = LLamaWeights.LoadFromFile(new ModelParams(path) { GpuLayerCount = 0, ContextSize = 64 }))
        {
            Assert.Equal(config.VocabSize, weights.Vocab.Count);
            Assert.Equal(config.HiddenSize, weights.EmbeddingSize);
            Assert.Equal(config.MaxPositionEmbeddings, weights.ContextSize);
            Assert.Equal("qwen2", weights.Metadata["general.architecture"]);
            Assert.Equal("2", weights.Metadata["qwen2.block_count"]);
            Assert.Equal(tokenizer.BosId, (int?)weights.Vocab.BOS);
            Assert.Equal(tokenizer.EosId, (int?)weights.Vocab.EOS);
            Assert.True(weights.Vocab.ShouldAddBOS);
        }

        using var oracle = new LlamaCppOracle(path, contextSize: 64);
        var logits = oracle.Feed([72, 256, 10]);
        Assert.Equal(3, logits.Length);
        Assert.All(logits, row => Assert.Equal(config.VocabSize, row.Length));
        Assert.All(logits, row => Assert.All(row, v => Assert.True(float.IsFinite(v))));
    }

    /// <summary>The 256 byte-level symbols, some merges, and the distill's specials — a vocabulary llama.cpp's BPE accepts.</summary>
    private static TokenizerSpec ByteLevelTokenizer(int vocab)
    {
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b).ToString()).ToList();
        var merges = new List<string>();
        for (int i = 0; tokens.Count < vocab - 3; i++)
        {
            string left = tokens[(i * 7 + 33) % 256];
            string right = tokens[(i * 13 + 65) % 256];
            if (!tokens.Contains(left + right))
            {
                merges.Add($"{left} {right}");
                tokens.Add(left + right);
            }
        }

        tokens.AddRange(["<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>", "<think>"]);
        var kinds = tokens.Select((_, id) => id switch
        {
            _ when id == vocab - 1 => TokenKind.UserDefined,
            _ when id >= vocab - 3 => TokenKind.Control,
            _ => TokenKind.Normal,
        }).ToArray();
        return new TokenizerSpec(tokens, kinds, merges, "deepseek-r1-qwen", vocab - 2, vocab - 3, vocab - 3, AddBos: true, "{{ messages[0]['content'] }}");
    }
}
