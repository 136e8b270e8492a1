using System.Text.Json;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Loading;

/// <summary>
/// Loads a Hugging Face model directory: config.json, optional generation_config.json, optional
/// tokenizer.json (+ tokenizer_config.json), and safetensors weights (single file or sharded).
/// </summary>
public static class HfModelLoader
{
    public const string ConfigFileName = "config.json";
    public const string GenerationConfigFileName = "generation_config.json";

    public static ModelCheckpoint Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new ModelFormatException(directory, "model directory not found");
        }

        var config = ReadConfig(Path.Combine(directory, ConfigFileName));
        string generationPath = Path.Combine(directory, GenerationConfigFileName);
        var generation = File.Exists(generationPath) ? HfGenerationConfig.Read(generationPath) : HfGenerationConfig.FromModelConfig(config);
        string tokenizerPath = Path.Combine(directory, HfTokenizerFiles.TokenizerJsonName);
        string tokenizerConfigPath = Path.Combine(directory, HfTokenizerFiles.TokenizerConfigName);
        TokenizerSpec? tokenizer = File.Exists(tokenizerPath)
            ? TokenizerVocabulary.FitTo(
                HfTokenizerFiles.Read(tokenizerPath, File.Exists(tokenizerConfigPath) ? tokenizerConfigPath : null), config.VocabSize, tokenizerPath)
            : null;

        // Weights last: everything above can fail without leaving files mapped.
        var weights = SafetensorsWeights.Open(directory);
        try
        {
            var tensors = config.Quantization is null ? weights.Tensors : AwqRepacker.Repack(config, weights.Tensors, directory);
            return new ModelCheckpoint(directory, config, tensors, WeightNames.HuggingFace, tokenizer, generation, [weights]);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private static Qwen2Config ReadConfig(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, "missing: a model directory needs config.json");
        }

        string json = ModelFiles.ReadJsonText(path);
        try
        {
            return Qwen2Config.FromJson(json, path);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or JsonException)
        {
            // JsonNode reports a field of an unexpected kind (e.g. "architectures": [1]) or a duplicate key this way.
            throw new ModelFormatException(path, $"invalid config: {e.Message}", e);
        }
    }
}
