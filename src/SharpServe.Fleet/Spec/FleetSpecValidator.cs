using System.Globalization;
using System.Text.Json;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Fleet.Spec;

/// <summary>
/// Checks a <see cref="FleetSpec"/> against a device and resolves it into the instances to start,
/// collecting every error rather than stopping at the first, so one run shows all that needs fixing.
/// </summary>
/// <param name="footprintOf">The model's sizes under an instance's engine options (from the model file, or fixed numbers in tests).</param>
/// <param name="weightsShared">
/// One copy of the weights is held outside the instances (a CUDA fleet's parent): it is taken off the ceiling once, each
/// instance's fraction covers its activations and KV only (the default fractions split the rest, as <c>fleet plan</c>'s
/// shared table), and every instance must load the model the same way since they all map the one copy.
/// </param>
public sealed class FleetSpecValidator(long deviceTotalBytes, Func<ResolvedEngine, ModelFootprint> footprintOf, bool weightsShared = false)
{
    private const int DefaultMaxNumBatchedTokens = 2048;
    private const int DefaultMaxNumSeqs = 256;

    /// <summary>serve's own --max-queue default.</summary>
    private const int DefaultMaxQueue = 1024;
    private static readonly IReadOnlyList<string> RoutingPolicies = ["least-requests", "power-of-two", "round-robin", "prefix-affinity"];

    public FleetValidation Validate(FleetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = new List<string>();
        UnknownFields(spec, errors);
        if (string.IsNullOrWhiteSpace(spec.Model))
        {
            errors.Add("model is missing: give the model path or Hugging Face repo id");
        }

        if (spec.MemoryCeiling is not (> 0 and <= 1))
        {
            errors.Add(Invariant($"memory_ceiling must be in (0, 1], got {spec.MemoryCeiling}"));
        }

        if (string.IsNullOrWhiteSpace(spec.LogDir))
        {
            errors.Add("log_dir is empty: give a folder for the instances' logs or leave it out for fleet-logs");
        }

        int gatewayPort = CheckGateway(spec.Gateway, errors);
        long sharedWeightBytes = SharedWeightBytes(spec);
        List<(InstanceSpec Spec, double Fraction, int Port)> instances = Expand(spec, gatewayPort, sharedWeightBytes, errors);
        CheckFractions(instances.Select(i => i.Fraction).ToList(), spec.MemoryCeiling, sharedWeightBytes, errors);
        CheckPorts(instances.Select(i => i.Port).ToList(), gatewayPort, errors);

        var resolved = new List<ResolvedInstance>();
        for (int i = 0; i < instances.Count; i++)
        {
            var (instance, fraction, port) = instances[i];
            ResolvedEngine? engine = Merge(spec.Engine, instance.Engine, Invariant($"instances[{i}]"), errors);
            if (weightsShared && engine is not null && instance.Engine is { } own && LoadsDifferently(own))
            {
                errors.Add(Invariant($"instances[{i}]: engine.quantization, token_embedding_type and output_tensor_type must be the fleet's when the weights are shared: every instance maps the one copy (or run with --no-share-weights)"));
            }

            // Without a model or usable options there is nothing to size; those errors are already listed.
            MemoryPlan? plan = engine is null || string.IsNullOrWhiteSpace(spec.Model) || fraction is not (> 0 and <= 1) ? null : PlanMemory(engine, fraction, i, port, errors);
            resolved.Add(new ResolvedInstance(i, port, fraction, instance.ServedModelNames ?? [spec.Model ?? ""], engine ?? Defaults, plan));
        }

        return new FleetValidation(errors, resolved);
    }

    private static ResolvedEngine Defaults => new(null, DefaultMaxNumBatchedTokens, DefaultMaxNumSeqs, KvCacheDType.Float32, DefaultMaxQueue);

    private static bool LoadsDifferently(EngineSpec own) => own.Quantization is not null || own.TokenEmbeddingType is not null || own.OutputTensorType is not null;

    /// <summary>The bytes of the one shared copy of the weights, as the fleet's engine options load them; 0 when not shared (or unknown: those errors are listed elsewhere).</summary>
    private long SharedWeightBytes(FleetSpec spec)
    {
        if (!weightsShared || string.IsNullOrWhiteSpace(spec.Model))
        {
            return 0;
        }

        ResolvedEngine? engine = Merge(spec.Engine, null, "engine", []);
        return engine is null ? 0 : footprintOf(engine).WeightBytes;
    }

    /// <summary>
    /// A count becomes that many equal fractions (of what the shared weights leave, when they are shared); ports default to
    /// the ones after the gateway's.
    /// </summary>
    private List<(InstanceSpec, double, int)> Expand(FleetSpec spec, int gatewayPort, long sharedWeightBytes, List<string> errors)
    {
        IReadOnlyList<InstanceSpec> list = spec.Instances switch
        {
            { Count: { } count } when count > 0 => Enumerable.Repeat(new InstanceSpec(), count).ToList(),
            { List: { Count: > 0 } given } => given,
            _ => [],
        };
        if (list.Count == 0)
        {
            errors.Add("instances must be a positive count or a non-empty list");
            return [];
        }

        double share = spec.MemoryCeiling is not (> 0 and <= 1) ? 0
            : weightsShared ? FleetPlanner.SharedFractionEach(spec.MemoryCeiling, deviceTotalBytes, sharedWeightBytes, list.Count)
            : FleetPlanner.FractionEach(spec.MemoryCeiling, list.Count);
        return list.Select((instance, i) => (instance, instance.MemoryFraction ?? share, instance.Port ?? gatewayPort + 1 + i)).ToList();
    }

    private void CheckFractions(List<double> fractions, double ceiling, long sharedWeightBytes, List<string> errors)
    {
        for (int i = 0; i < fractions.Count; i++)
        {
            if (fractions[i] is not (> 0 and <= 1))
            {
                errors.Add(Invariant($"instances[{i}].memory_fraction must be in (0, 1], got {fractions[i]}"));
            }
        }

        // Summed in decimal: 0.3 + 0.3 + 0.3 in double exceeds 0.9 and would be a false error. A sum with an
        // out-of-range fraction in it says nothing new, so it is only checked when each one is usable.
        decimal sum = fractions.Sum(f => (decimal)f);
        decimal weights = (decimal)sharedWeightBytes / deviceTotalBytes;
        if (fractions.Count > 0 && fractions.All(f => f is > 0 and <= 1) && sum + weights > (decimal)ceiling)
        {
            errors.Add(sharedWeightBytes > 0
                ? Invariant($"the memory fractions sum to {sum} ({string.Join(" + ", fractions)}), and with the shared weights ({sharedWeightBytes} bytes, {weights:0.0000} of the device) to {sum + weights:0.0000}, above the memory_ceiling {ceiling}")
                : Invariant($"the memory fractions sum to {sum} ({string.Join(" + ", fractions)}), above the memory_ceiling {ceiling}"));
        }
    }

    private static void CheckPorts(List<int> ports, int gatewayPort, List<string> errors)
    {
        for (int i = 0; i < ports.Count; i++)
        {
            if (ports[i] is < 1 or > 65535)
            {
                errors.Add(Invariant($"instances[{i}].port must be in 1..65535, got {ports[i]}"));
            }
            else if (ports[i] == gatewayPort)
            {
                errors.Add(Invariant($"instances[{i}].port {ports[i]} is the gateway's port (gateway.listen)"));
            }
            else if (ports.IndexOf(ports[i]) is var first && first < i)
            {
                errors.Add(Invariant($"instances[{i}].port {ports[i]} is also instances[{first}]'s port"));
            }
        }
    }

    /// <summary>Checks the gateway's settings and returns its port (0 when its address is unusable).</summary>
    private static int CheckGateway(GatewaySpec gateway, List<string> errors)
    {
        int colon = gateway.Listen.LastIndexOf(':');
        int port = 0;
        if (colon <= 0 || !int.TryParse(gateway.Listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            errors.Add($"gateway.listen must be host:port with a port in 1..65535, got '{gateway.Listen}'");
            port = 0;
        }

        if (!RoutingPolicies.Contains(gateway.Routing))
        {
            errors.Add($"gateway.routing '{gateway.Routing}' is not one of {string.Join(", ", RoutingPolicies)}");
        }

        if (gateway.TlsCertificate is { Length: 0 })
        {
            errors.Add("gateway.tls_certificate is empty: give a certificate path or leave it out for plain HTTP");
        }

        if (gateway.TlsKey is { } key && (key.Length == 0 || gateway.TlsCertificate is null))
        {
            errors.Add(key.Length == 0
                ? "gateway.tls_key is empty: give the PEM key file of a PEM tls_certificate, or leave it out for a PFX certificate"
                : "gateway.tls_key is set without gateway.tls_certificate: the key belongs to a PEM certificate");
        }

        if (gateway.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("gateway.api_keys has an empty key");
        }

        if (gateway.RateLimits is { RequestsPerMinute: not > 0 } limits)
        {
            errors.Add(Invariant($"gateway.rate_limits.requests_per_minute must be a positive count, got {limits.RequestsPerMinute?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}"));
        }

        return port;
    }

    private static ResolvedEngine? Merge(EngineSpec shared, EngineSpec? overrides, string where, List<string> errors)
    {
        int errorsBefore = errors.Count;
        int? maxModelLen = Positive(overrides?.MaxModelLen ?? shared.MaxModelLen, "max_model_len", where, errors);
        int? batched = Positive(overrides?.MaxNumBatchedTokens ?? shared.MaxNumBatchedTokens, "max_num_batched_tokens", where, errors);
        int? seqs = Positive(overrides?.MaxNumSeqs ?? shared.MaxNumSeqs, "max_num_seqs", where, errors);
        int? queue = Positive(overrides?.MaxQueue ?? shared.MaxQueue, "max_queue", where, errors);
        int? threads = Positive(overrides?.Threads ?? shared.Threads, "threads", where, errors);
        KvCacheDType dtype = KvCacheDType.Float32;
        try
        {
            dtype = KvCacheDTypeExtensions.Parse(overrides?.KvCacheDtype ?? shared.KvCacheDtype ?? "auto");
        }
        catch (ArgumentException e)
        {
            errors.Add($"{where}: engine.kv_cache_dtype: {e.Message}");
        }

        string quantizationName = overrides?.Quantization ?? shared.Quantization ?? WeightQuantizationNames.None;
        WeightQuantization? quantization = WeightQuantizationNames.TryParse(quantizationName);
        if (quantization is null)
        {
            errors.Add($"{where}: engine.quantization '{quantizationName}' is not one of {WeightQuantizationNames.None}, {WeightQuantizationNames.Int8} (a quantized GGUF is served as stored: leave it out)");
        }

        TensorDType? embeddingType = HeadType(overrides?.TokenEmbeddingType ?? shared.TokenEmbeddingType, "token_embedding_type", where, errors);
        TensorDType? outputType = HeadType(overrides?.OutputTensorType ?? shared.OutputTensorType, "output_tensor_type", where, errors);
        if (quantization == WeightQuantization.Int8 && (embeddingType is not null || outputType is not null))
        {
            errors.Add($"{where}: engine.token_embedding_type and engine.output_tensor_type cannot be combined with quantization int8, which already stores the token embedding and lm_head as q8_0");
        }

        return errors.Count > errorsBefore
            ? null
            : new ResolvedEngine(
                maxModelLen, batched ?? DefaultMaxNumBatchedTokens, seqs ?? DefaultMaxNumSeqs, dtype, queue ?? DefaultMaxQueue, threads, quantization!.Value, embeddingType, outputType);
    }

    private static TensorDType? HeadType(string? name, string field, string where, List<string> errors)
    {
        if (name is null)
        {
            return null;
        }

        var type = HeadTensorTypes.TryParse(name);
        if (type is null)
        {
            errors.Add($"{where}: engine.{field} '{name}' is not one of {string.Join(", ", HeadTensorTypes.Supported.Select(HeadTensorTypes.Name))}");
        }

        return type;
    }

    private static int? Positive(int? value, string name, string where, List<string> errors)
    {
        if (value is <= 0)
        {
            errors.Add(Invariant($"{where}: engine.{name} must be positive, got {value}"));
        }

        return value;
    }

    /// <summary>The instance's KV plan; a fraction too small for the weights plus one max-model-len sequence is an error saying what it needs.</summary>
    private MemoryPlan? PlanMemory(ResolvedEngine engine, double fraction, int index, int port, List<string> errors)
    {
        try
        {
            var inputs = footprintOf(engine).BudgetInputs(deviceTotalBytes, fraction);
            return MemoryBudget.Plan(weightsShared ? inputs with { WeightBytes = 0 } : inputs);
        }
        catch (MemoryBudgetException e)
        {
            errors.Add(Invariant($"instances[{index}] (port {port}): memory_fraction {fraction} cannot hold {(weightsShared ? "its activations" : "the weights")} plus one max_model_len sequence: {e.Message}"));
            return null;
        }
    }

    private static void UnknownFields(FleetSpec spec, List<string> errors)
    {
        var found = new List<string>();
        Collect(spec.Unknown, "", found);
        Collect(spec.Engine.Unknown, "engine.", found);
        Collect(spec.Gateway.Unknown, "gateway.", found);
        Collect(spec.Gateway.RateLimits?.Unknown, "gateway.rate_limits.", found);
        for (int i = 0; i < (spec.Instances?.List?.Count ?? 0); i++)
        {
            InstanceSpec instance = spec.Instances!.List![i];
            Collect(instance.Unknown, Invariant($"instances[{i}]."), found);
            Collect(instance.Engine?.Unknown, Invariant($"instances[{i}].engine."), found);
        }

        if (found.Count > 0)
        {
            errors.Add($"unknown field{(found.Count == 1 ? "" : "s")}: {string.Join(", ", found)}");
        }
    }

    private static void Collect(Dictionary<string, JsonElement>? unknown, string prefix, List<string> found) =>
        found.AddRange((unknown?.Keys ?? Enumerable.Empty<string>()).Select(key => prefix + key));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
