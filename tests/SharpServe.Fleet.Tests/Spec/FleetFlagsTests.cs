using SharpServe.Fleet.Spec;

namespace SharpServe.Fleet.Tests.Spec;

public sealed class FleetFlagsTests
{
    [Fact]
    public void NoFlags_AreTwoInstancesOnThePortsAfterTheGatewaysDefault8000()
    {
        var spec = new FleetFlags { Model = "m" }.ToSpec();

        Assert.Equal(FleetSpecYamlTests.Outcome(FleetSpecReader.Parse("""{ "model": "m", "instances": 2 }""")), FleetSpecYamlTests.Outcome(spec));
        Assert.Equal("0.0.0.0:8000", spec.Gateway.Listen);
        Assert.Equal("fleet-logs", spec.LogDir);
    }

    [Fact]
    public void EveryFlag_ResolvesExactlyAsTheEquivalentFile()
    {
        var flags = new FleetFlags
        {
            Model = "r1",
            MemoryFractions = [0.5, 0.3],
            InstancePorts = [8101, 8102],
            ServedModelNames = ["a", "b"],
            MemoryCeiling = 0.8,
            Host = "127.0.0.1",
            Port = 9000,
            Routing = "round-robin",
            ApiKeys = ["k1"],
            RateLimitRpm = 60,
            TlsCertificate = "cert.pem",
            TlsKey = "key.pem",
            Engine = new EngineSpec { MaxModelLen = 1024, MaxNumSeqs = 8, MaxQueue = 2, Threads = 1, KvCacheDtype = "float16", Quantization = "int8" },
            LogDir = "logs",
        };
        var file = FleetSpecReader.Parse("""
            { "model": "r1", "engine": { "max_model_len": 1024, "max_num_seqs": 8, "max_queue": 2, "threads": 1, "kv_cache_dtype": "float16", "quantization": "int8" }, "memory_ceiling": 0.8, "log_dir": "logs",
              "instances": [ { "memory_fraction": 0.5, "port": 8101, "served_model_names": ["a", "b"] },
                             { "memory_fraction": 0.3, "port": 8102, "served_model_names": ["a", "b"] } ],
              "gateway": { "listen": "127.0.0.1:9000", "api_keys": ["k1"], "rate_limits": { "requests_per_minute": 60 }, "routing": "round-robin",
                           "tls_certificate": "cert.pem", "tls_key": "key.pem" } }
            """);

        var spec = flags.ToSpec();

        Assert.Equal(FleetSpecYamlTests.Outcome(file), FleetSpecYamlTests.Outcome(spec));
        Assert.Equal((file.LogDir, file.Gateway.TlsCertificate, file.Gateway.TlsKey, file.Gateway.Listen), (spec.LogDir, spec.Gateway.TlsCertificate, spec.Gateway.TlsKey, spec.Gateway.Listen));
    }

    [Fact]
    public void InstancePorts_AloneSetTheCount() =>
        Assert.Equal(3, new FleetFlags { Model = "m", InstancePorts = [9001, 9002, 9003] }.ToSpec().Instances!.List!.Count);

    [Fact]
    public void APerInstanceFlagGivenTheWrongNumberOfTimes_IsAClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => new FleetFlags { Model = "m", Instances = 3, InstancePorts = [9001, 9002] }.ToSpec());

        Assert.Equal("--instance-port was given 2 time(s) for 3 instance(s): give it once per instance or not at all", error.Message);
    }

    [Fact]
    public void BadFlagValues_GetTheValidatorsErrors()
    {
        var spec = new FleetFlags { Model = "m", Routing = "random", Port = 0 }.ToSpec();

        var errors = FleetSpecYamlTests.Validator.Validate(spec).Errors;

        Assert.Contains("gateway.routing 'random' is not one of least-requests, power-of-two, round-robin, prefix-affinity", errors);
        Assert.Contains("gateway.listen must be host:port with a port in 1..65535, got '0.0.0.0:0'", errors);
    }
}
