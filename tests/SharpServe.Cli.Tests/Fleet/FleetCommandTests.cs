namespace SharpServe.Cli.Tests.Fleet;

/// <summary><c>sharpserve fleet plan</c> and <c>fleet validate</c> on the tiny model, as a user runs them.</summary>
public sealed class FleetCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-fleet-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Plan_PrintsBothAccountingsAndTheNote()
    {
        var result = CliRunner.Run(
            "fleet", "plan", "--model", TinyModelFile.In(_folder), "--device-memory", "2GiB", "--max-model-len", "256", "--max-num-batched-tokens", "64", "--max-instances", "4");

        Assert.True(result.ExitCode == 0, result.Stderr);

        // Hand-computed in FleetPlannerTests.Plan_Tiny_StopsAtMaxInstancesAndSaysMoreFit.
        Assert.Contains("weights 0.04 GiB (39192832 bytes), activations 0.04 GiB (39075840 bytes) for 64 batched tokens, KV 512 bytes per token (Float32)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("        1            0.9       1.80 GiB (1932735283 bytes)       1.73 GiB (1854464000 bytes)         3622000              14148       14148", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Weights counted per instance (vLLM's accounting", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("These are the fractions `fleet --device cuda` starts its instances with", result.Stdout, StringComparison.Ordinal);

        // Shared: (1,932,735,283 − 39,192,832) / 2 GiB = 0.88175… → 0.8817; its budget less the activations is 226,362 blocks.
        Assert.Contains("        1         0.8817       1.76 GiB (1893436332 bytes)       1.73 GiB (1854357504 bytes)         3621792              14147       14147", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("(more than 4 instances would fit; raise --max-instances to see them)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Advice: for throughput and latency run 1 instance", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1MiB", "error: not even 1 instance fits: it needs weights 39192832 + activations 1250426880 + KV 2097152 bytes (1 × 4096 tokens)")]
    [InlineData("lots", "error: --device-memory: 'lots' is not a positive byte size (e.g. 16GiB)")]
    public void Plan_BadInput_IsOneErrorLine(string deviceMemory, string expected)
    {
        var result = CliRunner.Run("fleet", "plan", "--model", TinyModelFile.In(_folder), "--device-memory", deviceMemory);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("--concurrency", "0", "error: --concurrency must be a positive integer, got 0")]
    [InlineData("--ceiling", "1.5", "error: --ceiling must be in (0, 1], got 1.5")]
    [InlineData("--kv-cache-dtype", "int4", "error: --kv-cache-dtype: 'int4' is not one of auto, float32, float16, bfloat16")]
    public void Plan_BadFlag_IsOneErrorLine(string flag, string value, string expected)
    {
        var result = CliRunner.Run("fleet", "plan", "--model", TinyModelFile.In(_folder), "--device-memory", "2GiB", flag, value);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(expected, result.Stderr.Trim());
    }

    [Fact]
    public void Validate_GoodSpec_PrintsOkAndTheResolvedInstances()
    {
        TinyModelFile.In(_folder);
        string spec = Spec("""{ "model": "tiny.gguf", "engine": { "max_model_len": 256, "max_num_batched_tokens": 64 }, "instances": 2, "gateway": { "listen": "127.0.0.1:9000" } }""");

        var result = CliRunner.Run("fleet", "validate", spec, "--device-memory", "1GiB");

        Assert.True(result.ExitCode == 0, result.Stderr);
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("ok", lines[0]);
        Assert.StartsWith("instance 0: port 9001, memory fraction 0.45, served as tiny.gguf,", lines[2], StringComparison.Ordinal);
        Assert.Contains("KV cache: 49428 blocks × 16 tokens", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("instance 1: port 9002,", lines[3], StringComparison.Ordinal);
    }

    /// <summary>The tiny f32 model's shared embedding as q8_0 (engine.output_tensor_type) is ~3.5x smaller: the KV cache gets the difference.</summary>
    [Fact]
    public void Validate_WithAnOutputTensorType_PlansTheConvertedWeightBytes()
    {
        TinyModelFile.In(_folder);
        int Blocks(string engine)
        {
            string spec = Spec($$"""{ "model": "tiny.gguf", "engine": { "max_model_len": 256, "max_num_batched_tokens": 64{{engine}} }, "instances": 1 }""");
            var result = CliRunner.Run("fleet", "validate", spec, "--device-memory", "1GiB");
            Assert.True(result.ExitCode == 0, result.Stderr);
            string line = result.Stdout.Split('\n').Single(l => l.StartsWith("instance 0:", StringComparison.Ordinal));
            string count = line[(line.IndexOf("KV cache: ", StringComparison.Ordinal) + "KV cache: ".Length)..].Split(' ')[0];
            return int.Parse(count, System.Globalization.CultureInfo.InvariantCulture);
        }

        var c = Engine.Creation.ModelPresets.Tiny;
        long saved = (4L * c.VocabSize * c.HiddenSize) - Engine.Loading.TensorDTypeInfo.ByteSize(Engine.Loading.TensorDType.Q8_0, (long)c.VocabSize * c.HiddenSize);
        int asStored = Blocks("");
        int converted = Blocks(", \"output_tensor_type\": \"q8_0\"");
        Assert.True(converted > asStored + 1, $"{converted} KV blocks with a q8_0 head, {asStored} without; {saved} bytes saved");
    }

    [Fact]
    public void Validate_BadSpec_ListsEveryErrorAndExits1()
    {
        TinyModelFile.In(_folder);
        string spec = Spec("""
            { "model": "tiny.gguf", "colour": 1, "engine": { "max_model_len": 256, "max_num_batched_tokens": 64 },
              "instances": [ { "memory_fraction": 0.6, "port": 9000 }, { "memory_fraction": 0.001, "port": 9001 } ], "gateway": { "listen": "127.0.0.1:9000" } }
            """);

        var result = CliRunner.Run("fleet", "validate", spec, "--device-memory", "1GiB");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                "error: unknown field: colour",
                "error: instances[0].port 9000 is the gateway's port (gateway.listen)",
                "error: instances[1] (port 9001): memory_fraction 0.001 cannot hold the weights plus one max_model_len sequence: weights (39192832 bytes) + activations (39075840 bytes) = 78268672 bytes do not fit the budget 0.001 × 1073741824 = 1073741 bytes; needs at least 0.08 of utilization to also hold one 256-token sequence",
            ],
            result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Validate_MissingSpecFile_IsOneErrorLine()
    {
        var result = CliRunner.Run("fleet", "validate", Path.Combine(_folder, "absent.json"), "--device-memory", "1GiB");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: Could not find file", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_YamlSpec_ResolvesAsJsonDoes()
    {
        TinyModelFile.In(_folder);
        string spec = Spec(
            "model: tiny.gguf\nengine:\n  max_model_len: 256\n  max_num_batched_tokens: 64\ninstances: 2\ngateway:\n  listen: \"127.0.0.1:9000\"\n", "fleet.yaml");

        var result = CliRunner.Run("fleet", "validate", spec, "--device-memory", "1GiB");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("instance 1: port 9002, memory fraction 0.45, served as tiny.gguf,", result.Stdout.Split('\n')[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Fleet_PerInstanceFlagGivenTooFewTimes_IsOneErrorLine()
    {
        var result = CliRunner.Run("fleet", "--model", TinyModelFile.In(_folder), "--instances", "3", "--instance-port", "9001", "--instance-port", "9002");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: --instance-port was given 2 time(s) for 3 instance(s): give it once per instance or not at all", result.Stderr.Trim());
    }

    [Fact]
    public void Up_BadSpec_ListsTheValidatorsErrorsAndStartsNothing()
    {
        TinyModelFile.In(_folder);
        string spec = Spec("model: tiny.gguf\ninstances: 2\nrouting: random\ngateway:\n  tls_key: key.pem\n", "fleet.yml");

        var result = CliRunner.Run("fleet", "up", spec, "--log-dir", Path.Combine(_folder, "logs"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            ["error: unknown field: routing", "error: gateway.tls_key is set without gateway.tls_certificate: the key belongs to a PEM certificate"],
            result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(Path.Combine(_folder, "logs")));
    }

    /// <summary>A supervisor that died before the child's prctl ran would never send the death signal, so the child must not run on.</summary>
    [Fact]
    public void Serve_StartedForASupervisorThatIsNotItsParent_ExitsAtOnce()
    {
        var result = CliRunner.RunWithEnvironment(
            new Dictionary<string, string> { ["SHARPSERVE_SUPERVISOR_PID"] = "1" }, "serve", "--host", "127.0.0.1", "--port", ServeProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: the supervisor (pid 1) that started this instance is gone", result.Stderr.Trim());
        Assert.DoesNotContain("Listening", result.Stdout, StringComparison.Ordinal);
    }

    private string Spec(string text, string name = "fleet.json")
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}
