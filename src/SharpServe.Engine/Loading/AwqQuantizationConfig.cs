using System.Text.Json.Nodes;

namespace SharpServe.Engine.Loading;

/// <summary>
/// config.json's <c>quantization_config</c> of an AutoAWQ "GEMM" checkpoint. Only the layout the loader repacks is accepted
/// (4-bit, groups of 128 input values, asymmetric with a zero point, GEMM packing); anything else is refused by name
/// rather than read as something it is not.
/// </summary>
public sealed record AwqQuantizationConfig
{
    public const string QuantMethod = "awq";
    public const int Bits = 4;
    public const int GroupSize = 128;
    public const string Version = "gemm";

    /// <summary>What the loader supports, for error messages.</summary>
    public const string Supported = "quant_method \"awq\" with bits 4, group_size 128, zero_point true, version \"gemm\"";

    public static AwqQuantizationConfig Instance { get; } = new();

    /// <summary>Null when the config has no quantization_config (an unquantized checkpoint).</summary>
    public static AwqQuantizationConfig? Parse(JsonNode? node, string path)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject config)
        {
            throw new ModelFormatException(path, "quantization_config is not an object");
        }

        string? method = config["quant_method"]?.GetValue<string>();
        if (!string.Equals(method, QuantMethod, StringComparison.OrdinalIgnoreCase))
        {
            throw Unsupported(path, $"quant_method \"{method ?? "(none)"}\"");
        }

        // AutoAWQ writes "w_bit"/"q_group_size" in its own quant_config.json; transformers' config.json uses these names.
        int bits = (config["bits"] ?? config["w_bit"])?.GetValue<int>() ?? throw Unsupported(path, "no bits");
        int groupSize = (config["group_size"] ?? config["q_group_size"])?.GetValue<int>() ?? throw Unsupported(path, "no group_size");
        bool zeroPoint = config["zero_point"]?.GetValue<bool>() ?? true;
        string version = config["version"]?.GetValue<string>() ?? Version;
        if (bits != Bits)
        {
            throw Unsupported(path, $"bits {bits}");
        }

        if (groupSize != GroupSize)
        {
            throw Unsupported(path, $"group_size {groupSize}");
        }

        if (!zeroPoint)
        {
            throw Unsupported(path, "zero_point false");
        }

        return string.Equals(version, Version, StringComparison.OrdinalIgnoreCase)
            ? Instance
            : throw Unsupported(path, $"version \"{version}\"");
    }

    /// <summary>The quantization_config transformers writes for such a checkpoint.</summary>
    public JsonObject ToJson() => new()
    {
        ["bits"] = Bits,
        ["group_size"] = GroupSize,
        ["modules_to_not_convert"] = null,
        ["quant_method"] = QuantMethod,
        ["version"] = Version,
        ["zero_point"] = true,
    };

    private static ModelFormatException Unsupported(string path, string what) =>
        new(path, $"quantization_config: {what} is not supported; SharpServe reads {Supported}");
}
