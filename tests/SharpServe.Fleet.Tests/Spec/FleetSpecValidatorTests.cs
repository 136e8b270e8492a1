using SharpServe.Fleet.Spec;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Fleet.Tests.Spec;

public sealed class FleetSpecValidatorTests
{
    private const long Device = 16L << 30;

    // r1-distill-1.5b's sizes (see the engine's MemoryBudgetTests), with max_model_len from the spec or 4096.
    private static readonly FleetSpecValidator Validator = new(Device, engine => ModelFootprint.Of(
        ModelPresets.R1Distill1_5B, 3_554_176_000, engine.MaxModelLen ?? 4096, engine.MaxNumBatchedTokens, engine.KvCacheDType));

    private static FleetValidation Check(string json) => Validator.Validate(FleetSpecReader.Parse(json));

    [Fact]
    public void Count_ResolvesToEqualFractionsOnThePortsAfterTheGateway()
    {
        var result = Check("""{ "model": "r1", "instances": 2, "gateway": { "listen": "127.0.0.1:9000" } }""");

        Assert.Empty(result.Errors);
        Assert.Equal([9001, 9002], result.Instances.Select(i => i.Port));
        Assert.Equal([0.45, 0.45], result.Instances.Select(i => i.MemoryFraction));
        Assert.All(result.Instances, i => Assert.Equal(["r1"], i.ServedModelNames));

        // floor(0.45 × 16 GiB) − weights − activations = 2,705,613,004 bytes = 2,948 blocks (as FleetPlannerTests).
        Assert.All(result.Instances, i => Assert.Equal(2_948, i.Plan!.KvBlocks));
    }

    [Fact]
    public void SharedWeights_DefaultFractionsSplitWhatTheOneCopyLeavesAndCountNoWeights()
    {
        var shared = new FleetSpecValidator(Device, engine => ModelFootprint.Of(
            ModelPresets.R1Distill1_5B, 3_554_176_000, engine.MaxModelLen ?? 4096, engine.MaxNumBatchedTokens, engine.KvCacheDType), weightsShared: true);

        var result = shared.Validate(FleetSpecReader.Parse("""{ "model": "r1", "instances": 2 }"""));

        // fleet plan's shared table for 2 instances (FleetPlannerTests): 0.3465 each, 4,884 blocks, the weights counted 0.
        Assert.Empty(result.Errors);
        Assert.Equal([0.3465, 0.3465], result.Instances.Select(i => i.MemoryFraction));
        Assert.All(result.Instances, i => Assert.Equal((4_884, 0), (i.Plan!.KvBlocks, i.Plan.WeightBytes)));
    }

    [Fact]
    public void SharedWeights_FractionsThatLeaveNoRoomForTheOneCopy_AreAnError()
    {
        var shared = new FleetSpecValidator(Device, engine => ModelFootprint.Of(
            ModelPresets.R1Distill1_5B, 3_554_176_000, 4096, engine.MaxNumBatchedTokens, engine.KvCacheDType), weightsShared: true);

        var result = shared.Validate(FleetSpecReader.Parse("""{ "model": "r1", "instances": [ { "memory_fraction": 0.4 }, { "memory_fraction": 0.4 } ] }"""));

        // 0.8 + 3,554,176,000 / 17,179,869,184 = 0.8 + 0.2069 > 0.9; without sharing the same spec is fine.
        Assert.Equal("the memory fractions sum to 0.8 (0.4 + 0.4), and with the shared weights (3554176000 bytes, 0.2069 of the device) to 1.0069, above the memory_ceiling 0.9", Assert.Single(result.Errors));
        Assert.Empty(Validator.Validate(FleetSpecReader.Parse("""{ "model": "r1", "instances": [ { "memory_fraction": 0.4 }, { "memory_fraction": 0.4 } ] }""")).Errors);
    }

    [Fact]
    public void SharedWeights_AnInstanceLoadingTheModelItsOwnWay_IsAnError()
    {
        var shared = new FleetSpecValidator(Device, engine => ModelFootprint.Of(
            ModelPresets.R1Distill1_5B, 3_554_176_000, 4096, engine.MaxNumBatchedTokens, engine.KvCacheDType), weightsShared: true);

        var result = shared.Validate(FleetSpecReader.Parse("""{ "model": "r1", "instances": [ { "memory_fraction": 0.3 }, { "memory_fraction": 0.3, "engine": { "quantization": "int8" } } ] }"""));

        Assert.Equal("instances[1]: engine.quantization, token_embedding_type and output_tensor_type must be the fleet's when the weights are shared: every instance maps the one copy (or run with --no-share-weights)", Assert.Single(result.Errors));
    }

    [Fact]
    public void List_TakesPerInstanceFractionsPortsNamesAndEngineOverrides()
    {
        var result = Check("""
            { "model": "r1", "engine": { "max_model_len": 4096, "max_queue": 4 },
              "instances": [ { "memory_fraction": 0.6, "port": 8101, "served_model_names": ["a", "b"] },
                             { "memory_fraction": 0.3, "port": 8102, "engine": { "max_model_len": 1024, "kv_cache_dtype": "float16", "max_queue": 1, "threads": 1 } } ] }
            """);

        Assert.Empty(result.Errors);
        Assert.Equal(["a", "b"], result.Instances[0].ServedModelNames);
        Assert.Equal(new ResolvedEngine(1024, 2048, 256, KvCacheDType.Float16, 1, 1), result.Instances[1].Engine);
        Assert.Equal(4, result.Instances[0].Engine.MaxQueue);
        Assert.Equal(KvCacheDType.Float16, result.Instances[1].Plan!.KvCacheDType);
    }

    [Fact]
    public void Quantization_IsSharedAndOverriddenPerInstance()
    {
        var result = Check("""
            { "model": "r1", "engine": { "quantization": "int8" },
              "instances": [ { "memory_fraction": 0.4 }, { "memory_fraction": 0.4, "engine": { "quantization": "none" } } ] }
            """);

        Assert.Empty(result.Errors);
        Assert.Equal([WeightQuantization.Int8, WeightQuantization.None], result.Instances.Select(i => i.Engine.Quantization));
    }

    [Fact]
    public void HeadTypes_AreSharedAndOverriddenPerInstance()
    {
        var result = Check("""
            { "model": "r1", "engine": { "token_embedding_type": "q4_k", "output_tensor_type": "Q6_K" },
              "instances": [ { "memory_fraction": 0.4 }, { "memory_fraction": 0.4, "engine": { "output_tensor_type": "q8_0" } } ] }
            """);

        Assert.Empty(result.Errors);
        Assert.Equal([TensorDType.Q4_K, TensorDType.Q4_K], result.Instances.Select(i => i.Engine.TokenEmbeddingType));
        Assert.Equal([TensorDType.Q6_K, TensorDType.Q8_0], result.Instances.Select(i => i.Engine.OutputTensorType));
    }

    [Fact]
    public void HeadTypes_ThatAreUnknownOrCombinedWithInt8_AreErrors()
    {
        var result = Check("""
            { "model": "r1", "engine": { "token_embedding_type": "q5_k" },
              "instances": [ { "memory_fraction": 0.4, "engine": { "token_embedding_type": "q4_0", "quantization": "int8" } } ] }
            """);

        Assert.Equal(
            [
                "instances[0]: engine.token_embedding_type and engine.output_tensor_type cannot be combined with quantization int8, which already stores the token embedding and lm_head as q8_0",
            ],
            result.Errors);
        Assert.Contains("engine.token_embedding_type 'q5_k' is not one of q8_0, q6_k, q4_k, q4_0",
            Assert.Single(Check("""{ "model": "r1", "engine": { "token_embedding_type": "q5_k" }, "instances": 1 }""").Errors));
    }

    [Fact]
    public void FractionsAboveTheCeiling_AreAnError()
    {
        var result = Check("""{ "model": "r1", "memory_ceiling": 0.8, "instances": [ { "memory_fraction": 0.45 }, { "memory_fraction": 0.4 } ] }""");

        Assert.Equal("the memory fractions sum to 0.85 (0.45 + 0.4), above the memory_ceiling 0.8", Assert.Single(result.Errors));
    }

    // max_model_len 1024 here and below, so that 0.3 of the device holds the weights and one sequence.
    [Fact]
    public void ThreeThirtyPercentFractions_DoNotExceedA90PercentCeiling() =>
        Assert.Empty(Check("""{ "model": "r1", "engine": { "max_model_len": 1024 }, "instances": [ { "memory_fraction": 0.3 }, { "memory_fraction": 0.3 }, { "memory_fraction": 0.3 } ] }""").Errors);

    [Fact]
    public void PortClashes_AmongInstancesAndWithTheGateway_AreErrors()
    {
        var result = Check("""
            { "model": "r1", "engine": { "max_model_len": 1024 }, "gateway": { "listen": "0.0.0.0:8000" },
              "instances": [ { "memory_fraction": 0.3, "port": 8000 }, { "memory_fraction": 0.3, "port": 8005 }, { "memory_fraction": 0.3, "port": 8005 } ] }
            """);

        Assert.Equal(
            ["instances[0].port 8000 is the gateway's port (gateway.listen)", "instances[2].port 8005 is also instances[1]'s port"],
            result.Errors);
    }

    [Fact]
    public void AFractionTooSmallForTheWeightsAndOneSequence_SaysWhatItNeeds()
    {
        var result = Check("""{ "model": "r1", "instances": [ { "memory_fraction": 0.2 } ] }""");

        // (3,554,176,000 + 1,471,152,128 + 234,881,024) / 17,179,869,184 = 0.306 → 0.31.
        string error = Assert.Single(result.Errors);
        Assert.StartsWith("instances[0] (port 8001): memory_fraction 0.2 cannot hold the weights plus one max_model_len sequence:", error, StringComparison.Ordinal);
        Assert.Contains("needs at least 0.31 of utilization", error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownFields_AreAllNamedWithTheirPlace()
    {
        var result = Check("""
            { "model": "r1", "colour": "blue", "engine": { "max_len": 1 }, "gateway": { "rate_limits": { "per_hour": 3, "requests_per_minute": 60 } },
              "instances": [ { "memory_fraction": 0.4, "prot": 1, "engine": { "dtype": "f16" } } ] }
            """);

        Assert.Equal("unknown fields: colour, engine.max_len, gateway.rate_limits.per_hour, instances[0].prot, instances[0].engine.dtype", Assert.Single(result.Errors));
    }

    [Theory]
    [InlineData("""{ "instances": 1 }""", "model is missing: give the model path or Hugging Face repo id")]
    [InlineData("""{ "model": "r1" }""", "instances must be a positive count or a non-empty list")]
    [InlineData("""{ "model": "r1", "instances": 0 }""", "instances must be a positive count or a non-empty list")]
    [InlineData("""{ "model": "r1", "instances": [ { "memory_fraction": 0.4 } ], "memory_ceiling": 1.5 }""", "memory_ceiling must be in (0, 1], got 1.5")]
    [InlineData("""{ "model": "r1", "instances": 1, "gateway": { "listen": "localhost" } }""", "gateway.listen must be host:port with a port in 1..65535, got 'localhost'")]
    [InlineData("""{ "model": "r1", "instances": 1, "gateway": { "routing": "random" } }""", "gateway.routing 'random' is not one of least-requests, power-of-two, round-robin, prefix-affinity")]
    [InlineData("""{ "model": "r1", "instances": 1, "gateway": { "api_keys": [""] } }""", "gateway.api_keys has an empty key")]
    [InlineData("""{ "model": "r1", "instances": 1, "gateway": { "rate_limits": { "requests_per_minute": 0 } } }""", "gateway.rate_limits.requests_per_minute must be a positive count, got 0")]
    [InlineData("""{ "model": "r1", "instances": 1, "gateway": { "tls_certificate": "" } }""", "gateway.tls_certificate is empty: give a certificate path or leave it out for plain HTTP")]
    [InlineData("""{ "model": "r1", "instances": [ { "memory_fraction": 1.2 } ] }""", "instances[0].memory_fraction must be in (0, 1], got 1.2")]
    [InlineData("""{ "model": "r1", "instances": [ { "port": 70000 } ] }""", "instances[0].port must be in 1..65535, got 70000")]
    [InlineData("""{ "model": "r1", "instances": 1, "engine": { "max_model_len": 0 } }""", "instances[0]: engine.max_model_len must be positive, got 0")]
    [InlineData("""{ "model": "r1", "instances": [ { "engine": { "max_queue": -1 } } ] }""", "instances[0]: engine.max_queue must be positive, got -1")]
    [InlineData("""{ "model": "r1", "instances": 1, "engine": { "threads": 0 } }""", "instances[0]: engine.threads must be positive, got 0")]
    [InlineData("""{ "model": "r1", "instances": [ { "engine": { "kv_cache_dtype": "int4" } } ] }""", "instances[0]: engine.kv_cache_dtype: --kv-cache-dtype: 'int4' is not one of auto, float32, float16, bfloat16")]
    [InlineData("""{ "model": "r1", "instances": 1, "engine": { "quantization": "int4" } }""", "instances[0]: engine.quantization 'int4' is not one of none, int8 (a quantized GGUF is served as stored: leave it out)")]
    public void BadSettings_GiveOneClearError(string json, string expected) =>
        Assert.Equal(expected, Assert.Single(Check(json).Errors));

    [Theory]
    [InlineData("{ \"model\": ")]
    [InlineData("""{ "model": "r1", "instances": "two" }""")]
    [InlineData("""{ "model": "r1", "instances": 1, "engine": { "max_model_len": "long" } }""")]
    public void MalformedJson_IsAnArgumentException(string json)
    {
        var e = Assert.Throws<ArgumentException>(() => FleetSpecReader.Parse(json));
        Assert.StartsWith("the fleet spec is not valid: ", e.Message, StringComparison.Ordinal);
    }
}
