using System.Text.Json;

namespace SharpServe.Engine.Loading;

/// <summary>Reads <c>generation_config.json</c>: bos_token_id, eos_token_id (one id or a list), temperature, top_p.</summary>
internal static class HfGenerationConfig
{
    public static GenerationConfig Read(string path)
    {
        using var document = ModelFiles.ReadJsonObject(path);
        var root = document.RootElement;
        int? bos = root.TryGetProperty("bos_token_id", out var bosJson) ? Id(bosJson, path, "bos_token_id") : null;
        var eos = new List<int>();
        if (root.TryGetProperty("eos_token_id", out var eosJson))
        {
            if (eosJson.ValueKind == JsonValueKind.Array)
            {
                eos.AddRange(eosJson.EnumerateArray().Select(e =>
                    Id(e, path, "eos_token_id") ?? throw new ModelFormatException(path, "eos_token_id lists a null id")));
            }
            else if (Id(eosJson, path, "eos_token_id") is int single)
            {
                eos.Add(single);
            }
        }

        return new GenerationConfig(bos, eos, Number(root, "temperature", path), Number(root, "top_p", path));
    }

    /// <summary>The defaults when a model has no generation_config.json: the ids config.json gives.</summary>
    public static GenerationConfig FromModelConfig(Qwen2Config config) =>
        new(config.BosTokenId, config.EosTokenId is int eos ? [eos] : [], Temperature: null, TopP: null);

    private static int? Id(JsonElement element, string path, string key) => element.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Number when element.TryGetInt32(out int id) && id >= 0 => id,
        _ => throw new ModelFormatException(path, $"{key} must be a non-negative integer or a list of them, got {element.GetRawText()}"),
    };

    private static float? Number(JsonElement root, string key, string path)
    {
        if (!root.TryGetProperty(key, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out double value) && double.IsFinite(value)
            ? (float)value
            : throw new ModelFormatException(path, $"{key} must be a number, got {element.GetRawText()}");
    }
}
