using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Fleet.Spec;
using SharpServe.Fleet.Supervision;

namespace SharpServe.Cli.Commands;

/// <summary>
/// Starts an instance as <c>sharpserve serve</c> with the same sharpserve the user ran, on 127.0.0.1 (only the
/// gateway is reachable from outside) with the instance's port, memory fraction, names and engine options, on the
/// fleet's device and, when the fleet holds the weights on the card, mapping them from its manifest.
/// </summary>
/// <param name="modelPath">The resolved local model path: a repo id is downloaded once by the supervisor, not by every child.</param>
/// <param name="device">The --device the fleet resolved (cpu or cuda), the same for every instance.</param>
/// <param name="sharedWeights">The manifest of the weights the fleet holds on the card; null when each instance uploads its own.</param>
/// <param name="environment">Variables every instance gets besides the supervisor's own (MPS's pipe and log folders).</param>
internal sealed class FleetServeLauncher(string modelPath, string device, string? sharedWeights, IReadOnlyDictionary<string, string> environment) : IInstanceLauncher
{
    public ProcessStartInfo StartInfo(ResolvedInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable is running, so cannot start instances of it");
        var start = new ProcessStartInfo(self);

        // Run as `dotnet sharpserve.dll`, the host needs the assembly first; the apphost and a single-file build do not.
        // (The assembly sits in the app's base directory; Assembly.Location would be empty in a single-file build.)
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, Assembly.GetEntryAssembly()!.GetName().Name + ".dll"));
        }

        ResolvedEngine engine = instance.Engine;
        List<string> args =
        [
            "serve", "--model", modelPath, "--host", "127.0.0.1", "--port", Text(instance.Port),
            "--gpu-memory-utilization", instance.MemoryFraction.ToString("R", CultureInfo.InvariantCulture),
            "--max-num-batched-tokens", Text(engine.MaxNumBatchedTokens), "--max-num-seqs", Text(engine.MaxNumSeqs),
            "--max-queue", Text(engine.MaxQueue),
            "--kv-cache-dtype", Flag(engine.KvCacheDType), "--device", device,
        ];
        if (sharedWeights is not null)
        {
            args.AddRange(["--shared-weights", sharedWeights]);
        }

        if (engine.Threads is { } threads)
        {
            args.AddRange(["--threads", Text(threads)]);
        }

        // None is left out rather than passed: serve's "--quantization none" would refuse a quantized GGUF.
        if (engine.Quantization == WeightQuantization.Int8)
        {
            args.AddRange(["--quantization", WeightQuantizationNames.Int8]);
        }

        if (engine.TokenEmbeddingType is { } embeddingType)
        {
            args.AddRange([HeadTensorTypes.TokenEmbeddingFlag, HeadTensorTypes.Name(embeddingType)]);
        }

        if (engine.OutputTensorType is { } outputType)
        {
            args.AddRange([HeadTensorTypes.OutputTensorFlag, HeadTensorTypes.Name(outputType)]);
        }

        if (engine.MaxModelLen is { } maxModelLen)
        {
            args.AddRange(["--max-model-len", Text(maxModelLen)]);
        }

        foreach (string name in instance.ServedModelNames)
        {
            args.AddRange(["--served-model-name", name]);
        }

        args.ForEach(start.ArgumentList.Add);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Flag(KvCacheDType type) => type switch
    {
        KvCacheDType.Float32 => "float32",
        KvCacheDType.Float16 => "float16",
        KvCacheDType.BFloat16 => "bfloat16",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown KV cache dtype"),
    };
}
