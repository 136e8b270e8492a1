using System.Diagnostics;
using System.Globalization;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.TestSupport;

/// <summary>
/// Random-weight models for the tests, written once per test run into a temporary folder by the
/// project's own create-model code (same seed → same numbers in every format and dtype).
/// </summary>
public static class TestModels
{
    public const ulong Seed = 7;

    private const string FolderPrefix = "sharpserve-test-models-";

    private static readonly Lazy<TokenizerSpec> Tokenizer = new(() => DistillTokenizer.Build(RepoPaths.SharedTokenizerJson, ModelPresets.Tiny.VocabSize));
    private static readonly string Folder = CreateFolder();
    private static readonly Dictionary<string, string> Created = [];
    private static readonly Lock Gate = new();

    /// <summary>3 layers, 6 heads, 3 KV heads, head_dim 16, untied: a shape nothing is tuned to.</summary>
    public static Qwen2Config OddShape { get; } = new()
    {
        HiddenSize = 96,
        IntermediateSize = 160,
        NumHiddenLayers = 3,
        NumAttentionHeads = 6,
        NumKeyValueHeads = 3,
        VocabSize = 151936,
        MaxPositionEmbeddings = 2048,
        RmsNormEps = 1e-5f,
        RopeTheta = 1000000f,
        TieWordEmbeddings = false,
    };

    /// <summary>head_dim 128 as in the real model (2 heads sharing 1 KV head), so nothing is tuned to small heads.</summary>
    public static Qwen2Config WideHead { get; } = new()
    {
        HiddenSize = 256,
        IntermediateSize = 512,
        NumHiddenLayers = 2,
        NumAttentionHeads = 2,
        NumKeyValueHeads = 1,
        VocabSize = 151936,
        MaxPositionEmbeddings = 4096,
        RmsNormEps = 1e-6f,
        RopeTheta = 10000f,
        TieWordEmbeddings = true,
    };

    /// <summary>K-quant rows are 256 values: 3 layers, 4 heads sharing 2 KV heads (head_dim 64), intermediate 768, untied.</summary>
    public static Qwen2Config KQuantShape { get; } = new()
    {
        HiddenSize = 256,
        IntermediateSize = 768,
        NumHiddenLayers = 3,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        VocabSize = 151936,
        MaxPositionEmbeddings = 2048,
        RmsNormEps = 1e-5f,
        RopeTheta = 1000000f,
        TieWordEmbeddings = false,
    };

    /// <summary>AutoAWQ groups are 128 inputs: 2 layers, 4 heads sharing 2 KV heads (head_dim 64), intermediate 640 (5 groups), untied.</summary>
    public static Qwen2Config AwqShape { get; } = new()
    {
        HiddenSize = 256,
        IntermediateSize = 640,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        VocabSize = 151936,
        MaxPositionEmbeddings = 2048,
        RmsNormEps = 1e-6f,
        RopeTheta = 1000000f,
        TieWordEmbeddings = false,
    };

    public static TokenizerSpec DistillTokenizerSpec => Tokenizer.Value;

    /// <summary>The <see cref="AwqShape"/> model as an HF directory: <see cref="TensorDType.Awq4"/> writes AutoAWQ's GEMM layout.</summary>
    public static string AwqShapeHf(TensorDType type) => Get("awq", AwqShape, ModelFileFormat.Hf, type);

    public static string TinyGguf(TensorDType type) => Get("tiny", ModelPresets.Tiny, ModelFileFormat.Gguf, type);

    public static string TinyHf(TensorDType type) => Get("tiny", ModelPresets.Tiny, ModelFileFormat.Hf, type);

    public static string OddGguf(TensorDType type) => Get("odd", OddShape, ModelFileFormat.Gguf, type);

    public static string WideHeadGguf(TensorDType type) => Get("wide", WideHead, ModelFileFormat.Gguf, type);

    /// <summary>A GGUF of one of the oracle shapes by name: "tiny", "odd", "wide" or "kquant".</summary>
    public static string Gguf(string shape, TensorDType type) => shape switch
    {
        "tiny" => TinyGguf(type),
        "odd" => OddGguf(type),
        "wide" => WideHeadGguf(type),
        "kquant" => Get("kquant", KQuantShape, ModelFileFormat.Gguf, type),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };

    /// <summary>llama.cpp's Q4_K_M mix (Q4_K, with Q6_K where llama-quantize puts it) of the "wide" or "kquant" shape.</summary>
    public static string Q4KMediumGguf(string shape) => shape switch
    {
        "wide" => Get("wide", WideHead, ModelFileFormat.Gguf, TensorDType.Q4_K, q4KMedium: true),
        "kquant" => Get("kquant", KQuantShape, ModelFileFormat.Gguf, TensorDType.Q4_K, q4KMedium: true),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };

    private static string CreateFolder()
    {
        DeleteFoldersOfExitedRuns();
        string folder = Directory.CreateTempSubdirectory($"{FolderPrefix}{Environment.ProcessId}-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A mapped file may still be open on some platforms; the OS temp cleaner gets it.
            }
        };
        return folder;
    }

    /// <summary>
    /// Removes the model folders of test runs whose process is gone. The exit handler above does not always run when
    /// `dotnet test` ends its test host, and a run's models take up to 1.5 GB: 95 such folders had filled 47 GB of a
    /// developer's disk (2026-12-07). Folders are named after their process id; one of a live process is left alone.
    /// </summary>
    private static void DeleteFoldersOfExitedRuns()
    {
        foreach (string folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            string rest = Path.GetFileName(folder)[FolderPrefix.Length..];
            int dash = rest.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !int.TryParse(rest[..dash], CultureInfo.InvariantCulture, out int processId) || IsRunning(processId))
            {
                continue;
            }

            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run is deleting it too, or it is not ours to delete.
            }
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string Get(string name, Qwen2Config config, ModelFileFormat format, TensorDType type, bool q4KMedium = false)
    {
        string key = $"{name}-{format}-{(q4KMedium ? "q4_k_m" : type)}".ToLowerInvariant();
        lock (Gate)
        {
            if (!Created.TryGetValue(key, out string? path))
            {
                path = Path.Combine(Folder, format == ModelFileFormat.Gguf ? key + ".gguf" : key);
                RandomModelWriter.Write(new RandomModelSpec(config, format, type, Seed, Tokenizer.Value, q4KMedium), path);
                Created[key] = path;
            }

            return path;
        }
    }
}
