using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Loading;

/// <summary>Loads a qwen2 GGUF file (llama.cpp's layout) as a <see cref="ModelCheckpoint"/> with GGUF tensor names.</summary>
public static class GgufModelLoader
{
    public static ModelCheckpoint Load(string file)
    {
        var gguf = GgufReader.Open(file);
        try
        {
            // The architecture check comes first: another model's tokenizer would give a less useful error.
            var config = GgufQwen2Metadata.ReadConfig(gguf);
            TokenizerSpec? tokenizer = GgufQwen2Metadata.ReadTokenizer(gguf.Metadata) is { } spec
                ? TokenizerVocabulary.FitTo(spec, config.VocabSize, file)
                : null;
            config = config with { BosTokenId = tokenizer?.BosId, EosTokenId = tokenizer?.EosId };
            var generation = new GenerationConfig(
                tokenizer?.BosId, tokenizer?.EosId is int eos ? [eos] : [], Temperature: null, TopP: null);
            return new ModelCheckpoint(file, config, gguf.Tensors, WeightNames.Gguf, tokenizer, generation, [gguf]);
        }
        catch
        {
            gguf.Dispose();
            throw;
        }
    }
}
