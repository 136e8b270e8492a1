using System.Globalization;
using SharpServe.Engine.Cuda;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// serve --shared-weights and fleet --device cuda where no card can take them: one clear error line, exit 1, nothing
/// started. (Where a card is there, tools/gpu-check.sh runs the real export and import.)
/// </summary>
public sealed class CudaSharedWeightsCliTests : IDisposable
{
    private static readonly bool DriverInstalled = CudaDriver.Probe().Usable;
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-shared-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Serve_SharedWeightsOnTheCpu_IsRefusedBeforeListening()
    {
        var result = CliRunner.Run("serve", "--model", TinyModelFile.In(_folder), "--device", "cpu", "--shared-weights", Path.Combine(_folder, "shared-weights.json"), "--port", Port());

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: --shared-weights maps weights held on a CUDA card, which --device cpu does not use (on the CPU, instances of one model already share its mapped file): use --device cuda or leave --shared-weights out", result.Stderr.Trim());
        Assert.DoesNotContain("Listening", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_SharedWeightsWhereAutoFindsNoCard_SaysToRunOnCuda()
    {
        string manifest = Path.Combine(_folder, "shared-weights.json");

        var result = CliRunner.Run("serve", "--model", TinyModelFile.In(_folder), "--shared-weights", manifest, "--host", "127.0.0.1", "--port", Port());

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            DriverInstalled
                ? $"error: shared weights manifest {manifest}: Could not find file '{manifest}'."
                : "error: --shared-weights maps weights held on a CUDA card, but this instance computes on CpuBackend: run it with --device cuda",
            result.Stderr.Trim().Split('\n')[^1]);
        Assert.DoesNotContain("Serving", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Fleet_DeviceCudaWithoutACard_FailsBeforeStartingAnything()
    {
        string logs = Path.Combine(_folder, "logs");

        // With a card the device is fine and the bad routing is the error instead: either way nothing starts.
        var result = CliRunner.Run(
            "fleet", "--model", TinyModelFile.In(_folder), "--device", "cuda", "--instances", "2", "--routing", "random", "--port", Port(), "--log-dir", logs);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(
            DriverInstalled ? "error: gateway.routing 'random' is not one of" : "error: fleet --device cuda: no NVIDIA driver: none of libcuda.so.1, libcuda.so could be loaded; no instance was started",
            result.Stderr.Trim(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(logs));
    }

    [Fact]
    public void Fleet_UnknownDevice_IsOneErrorLine()
    {
        var result = CliRunner.Run("fleet", "--model", TinyModelFile.In(_folder), "--device", "tpu", "--port", Port());

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: --device tpu: expected one of auto, cpu, cuda", result.Stderr.Trim());
    }

    private static string Port() => ServeProcess.FreePort().ToString(CultureInfo.InvariantCulture);
}
