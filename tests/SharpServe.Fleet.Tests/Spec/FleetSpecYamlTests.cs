using System.Text.Json;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Memory;
using SharpServe.Fleet.Spec;

namespace SharpServe.Fleet.Tests.Spec;

public sealed class FleetSpecYamlTests : IDisposable
{
    internal static readonly FleetSpecValidator Validator = new(16L << 30, engine => ModelFootprint.Of(
        ModelPresets.R1Distill1_5B, 3_554_176_000, engine.MaxModelLen ?? 4096, engine.MaxNumBatchedTokens, engine.KvCacheDType));

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-fleet-yaml-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The validator's whole outcome as text, so two specs compare field by field, lists included.</summary>
    public static string Outcome(FleetSpec spec) => JsonSerializer.Serialize(Validator.Validate(spec));

    [Fact]
    public void Yaml_ResolvesExactlyAsTheEquivalentJson()
    {
        var json = FleetSpecReader.Parse("""
            { "model": "r1", "engine": { "max_model_len": 1024, "kv_cache_dtype": "float16" }, "memory_ceiling": 0.8, "log_dir": "logs",
              "instances": [ { "memory_fraction": 0.5, "port": 8101, "served_model_names": ["a", "b"] },
                             { "memory_fraction": 0.3, "port": 8102, "engine": { "max_num_seqs": 8 } } ],
              "gateway": { "listen": "127.0.0.1:9000", "api_keys": ["k1"], "rate_limits": { "requests_per_minute": 60 }, "routing": "round-robin",
                           "tls_certificate": "cert.pem", "tls_key": "key.pem" } }
            """);
        var yaml = FleetSpecReader.ParseYaml("""
            model: r1
            engine:
              max_model_len: 1024
              kv_cache_dtype: float16
            memory_ceiling: 0.8
            log_dir: logs
            instances:
              - memory_fraction: 0.5
                port: 8101
                served_model_names: [a, b]
              - memory_fraction: 0.3
                port: 8102
                engine: { max_num_seqs: 8 }
            gateway:
              listen: "127.0.0.1:9000"
              api_keys: [k1]
              rate_limits: { requests_per_minute: 60 }
              routing: round-robin
              tls_certificate: cert.pem
              tls_key: key.pem
            """);

        Assert.Equal(Outcome(json), Outcome(yaml));
        Assert.Equal(("logs", "cert.pem", "key.pem"), (yaml.LogDir, yaml.Gateway.TlsCertificate, yaml.Gateway.TlsKey));
        Assert.Equal(8, Validator.Validate(yaml).Instances[1].Engine.MaxNumSeqs);
    }

    [Fact]
    public void Yaml_UnknownFields_AreNamedWithTheirPlace()
    {
        var spec = FleetSpecReader.ParseYaml("""
            model: r1
            instancs: 2
            gateway:
              listen_on: "0.0.0.0:8000"
            """);

        Assert.Contains("unknown fields: instancs, gateway.listen_on", Validator.Validate(spec).Errors);
    }

    [Fact]
    public void Yaml_SyntaxError_NamesTheLine()
    {
        var error = Assert.Throws<ArgumentException>(() => FleetSpecReader.ParseYaml("model: r1\ninstances: 2\ngateway:\n  listen: [0.0.0.0:8000\n"));

        Assert.StartsWith("the fleet spec is not valid YAML: line 5, column 1: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_QuotedNumber_IsAWrongTypeNamedByItsPath()
    {
        var error = Assert.Throws<ArgumentException>(() => FleetSpecReader.ParseYaml("model: r1\ninstances:\n  - port: \"8001\"\n"));

        // The instances list is read by its own converter, so the path starts there ("$[0].port"), in JSON specs too.
        Assert.True(error.Message.Contains("[0].port", StringComparison.Ordinal), error.Message);
        Assert.DoesNotContain("LineNumber", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fleet.yaml", "model: r1\ninstances: 3\n")]
    [InlineData("fleet.YML", "model: r1\ninstances: 3\n")]
    [InlineData("fleet.json", """{ "model": "r1", "instances": 3 }""")]
    public void Read_ChoosesTheFormatByExtension(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);

        Assert.Equal(3, FleetSpecReader.Read(path).Instances!.Count);
    }

    [Theory]
    [InlineData("""{ "model": "r1", "instances": 1, "gateway": { "tls_key": "key.pem" } }""", "gateway.tls_key is set without gateway.tls_certificate: the key belongs to a PEM certificate")]
    [InlineData("""{ "model": "r1", "instances": 1, "gateway": { "tls_certificate": "c.pem", "tls_key": "" } }""", "gateway.tls_key is empty: give the PEM key file of a PEM tls_certificate, or leave it out for a PFX certificate")]
    [InlineData("""{ "model": "r1", "instances": 1, "log_dir": " " }""", "log_dir is empty: give a folder for the instances' logs or leave it out for fleet-logs")]
    public void TlsKeyAndLogDir_AreChecked(string json, string expected) =>
        Assert.Equal(expected, Assert.Single(Validator.Validate(FleetSpecReader.Parse(json)).Errors));
}
