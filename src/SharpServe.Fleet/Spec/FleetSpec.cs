using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpServe.Fleet.Spec;

/// <summary>
/// A fleet spec file (JSON or YAML, snake_case names). Every object keeps the fields it does not know in
/// <c>Unknown</c>, so the validator can name all of them at once instead of failing on the first.
/// </summary>
public sealed record FleetSpec
{
    /// <summary>Model path, relative to the spec file's folder, or a Hugging Face repo id.</summary>
    public string? Model { get; init; }

    public EngineSpec Engine { get; init; } = new();

    /// <summary>A count (equal fractions, ports after the gateway's) or a list of instances.</summary>
    [JsonConverter(typeof(InstancesSpecConverter))]
    public InstancesSpec? Instances { get; init; }

    /// <summary>Share of the device all instances together may use.</summary>
    public double MemoryCeiling { get; init; } = 0.9;

    public GatewaySpec Gateway { get; init; } = new();

    /// <summary>Folder of the instances' logs (instance_PORT.log), relative to the working directory.</summary>
    public string LogDir { get; init; } = "fleet-logs";

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; init; }
}

/// <summary>Engine options of every instance, or one instance's overrides of them (null = not set here).</summary>
public sealed record EngineSpec
{
    public int? MaxModelLen { get; init; }
    public int? MaxNumBatchedTokens { get; init; }
    public int? MaxNumSeqs { get; init; }

    /// <summary>Sequences that may wait beyond the running ones; more are refused with 429.</summary>
    public int? MaxQueue { get; init; }

    /// <summary>Compute threads of each instance (default: every core); on a CPU, instances sharing cores compete for them.</summary>
    public int? Threads { get; init; }

    public string? KvCacheDtype { get; init; }

    /// <summary>none or int8 (bf16/f16/f32 matrices quantized to q8_0 at load, the cache file mapped by every instance); a quantized GGUF needs none.</summary>
    public string? Quantization { get; init; }

    /// <summary>llama-quantize's --token-embedding-type (q8_0, q6_k, q4_k, q4_0), applied at load by every instance; not with int8.</summary>
    public string? TokenEmbeddingType { get; init; }

    /// <summary>llama-quantize's --output-tensor-type (q8_0, q6_k, q4_k, q4_0), applied at load by every instance; not with int8.</summary>
    public string? OutputTensorType { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; init; }
}

/// <summary>Either <see cref="Count"/> or <see cref="List"/> is set, as the file wrote it.</summary>
public sealed record InstancesSpec(int? Count, IReadOnlyList<InstanceSpec>? List);

public sealed record InstanceSpec
{
    public double? MemoryFraction { get; init; }
    public int? Port { get; init; }
    public IReadOnlyList<string>? ServedModelNames { get; init; }
    public EngineSpec? Engine { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; init; }
}

public sealed record GatewaySpec
{
    /// <summary>host:port the gateway listens on.</summary>
    public string Listen { get; init; } = "0.0.0.0:8000";

    /// <summary>A PEM certificate when <see cref="TlsKey"/> is set, else a PFX/PKCS#12 file holding the key too.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>The PEM private key of a PEM <see cref="TlsCertificate"/>.</summary>
    public string? TlsKey { get; init; }

    public IReadOnlyList<string> ApiKeys { get; init; } = [];
    public RateLimitSpec? RateLimits { get; init; }
    public string Routing { get; init; } = "least-requests";

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; init; }
}

/// <summary>Per API key (or per client when there are no keys).</summary>
public sealed record RateLimitSpec
{
    public int? RequestsPerMinute { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; init; }
}
