namespace SharpServe.Cli.Tests.Fleet;

/// <summary><c>sharpserve fleet nginx-config</c> as a user runs it: the spec's ports and listen address in the output, clear errors.</summary>
public sealed class FleetNginxConfigCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-fleet-nginx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Fragment_ToStdout_HasTheSpecsInstancesAndListenAddress()
    {
        string spec = Spec("""{ "model": "tiny.gguf", "engine": { "max_model_len": 256, "max_num_batched_tokens": 64 }, "instances": 2, "gateway": { "listen": "127.0.0.1:9100" } }""");

        var result = CliRunner.Run("fleet", "nginx-config", spec, "--device-memory", "1GiB", "--read-timeout", "900", "--fail-timeout", "5");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("    server 127.0.0.1:9101 max_fails=1 fail_timeout=5s;\n    server 127.0.0.1:9102 max_fails=1 fail_timeout=5s;\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("    listen 127.0.0.1:9100;\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("        proxy_read_timeout 900s;\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("    client_max_body_size 16m;\n", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("events {", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Full_WritesPrefixNginxConf_AndWarnsThatApiKeysAreNotChecked()
    {
        string spec = Spec("""{ "model": "tiny.gguf", "engine": { "max_model_len": 256, "max_num_batched_tokens": 64 }, "instances": 1, "gateway": { "listen": "127.0.0.1:9200", "api_keys": ["k1"] } }""");
        string prefix = Path.Combine(_folder, "nginx");

        var result = CliRunner.Run("fleet", "nginx-config", spec, "--full", "--prefix", prefix);

        Assert.True(result.ExitCode == 0, result.Stderr);
        string config = File.ReadAllText(Path.Combine(prefix, "nginx.conf"));
        Assert.Contains($"pid \"{prefix}/nginx.pid\";", config, StringComparison.Ordinal);
        Assert.Contains("        server 127.0.0.1:9201 max_fails=1 fail_timeout=10s;", config, StringComparison.Ordinal);
        Assert.Contains("warning: nginx does not check gateway.api_keys", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("--full", "error: --full and --prefix go together")]
    [InlineData("--prefix", "error: --full and --prefix go together")]
    public void FullAndPrefix_OnlyTogether(string flag, string expected)
    {
        string spec = Spec("""{ "model": "tiny.gguf", "instances": 1 }""");
        string[] args = flag == "--prefix" ? ["fleet", "nginx-config", spec, "--prefix", _folder] : ["fleet", "nginx-config", spec, "--full"];

        var result = CliRunner.Run(args);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(expected, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void BadSpec_ListsItsErrors_AndWritesNothing()
    {
        string spec = Spec("""{ "model": "tiny.gguf", "engine": { "max_model_len": 256, "max_num_batched_tokens": 64 }, "instances": [ { "port": 9300 } ], "gateway": { "listen": "127.0.0.1:9300" } }""");

        var result = CliRunner.Run("fleet", "nginx-config", spec, "--device-memory", "1GiB");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: instances[0].port 9300 is the gateway's port (gateway.listen)", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
    }

    private string Spec(string json)
    {
        TinyModelFile.In(_folder);
        string path = Path.Combine(_folder, "fleet.json");
        File.WriteAllText(path, json);
        return path;
    }
}
