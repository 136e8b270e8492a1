using System.CommandLine;
using SharpServe.Cli.Hub;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Cuda;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Commands;

/// <summary>Options and helpers shared by the model-running commands.</summary>
public static class CommonOptions
{
    public static Option<string?> Model() => new("--model")
    {
        Description = "HF model directory, GGUF file, or Hugging Face repo id owner/name (downloaded into the hub cache; default: the embedded tiny model, created on first use in the user cache)",
    };

    public static Option<string> Device() => new("--device")
    {
        Description = $"Where to compute: {string.Join(", ", ComputeDevice.Names)} (auto = the first CUDA card when the driver, a card and the weight types allow, else the CPU)",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>
    /// Loads the checkpoint, opens the <c>--device</c> backend for it (auto looks at the weight types), passes its
    /// description to <paramref name="describe"/>, and binds the two.
    /// </summary>
    public static LoadedModel OpenOnDevice(string path, ModelLoadOptions options, int threads, string device, Action<string> describe)
    {
        var checkpoint = ModelLoader.Load(path, options, threads);
        OpenedDevice opened;
        try
        {
            opened = ComputeDevice.Open(device, checkpoint, threads);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }

        describe(opened.Description);
        return LoadedModel.FromCheckpoint(checkpoint, opened.Backend);
    }

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Compute threads",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    /// <summary>
    /// --quantization of every command that loads a model: a stored type to insist on, or int8 to quantize at load.
    /// Read it with <see cref="WeightFormatCheck.LoadOptions"/> before loading and <see cref="WeightFormatCheck.Ensure"/> after.
    /// </summary>
    public static Option<string?> Quantization() => new("--quantization", "-q")
    {
        Description = "Quantization of the weights: none, q8_0, q4_0, q6_k or awq as stored in the checkpoint, or int8 to quantize bf16/f16/f32 matrices to q8_0 at load (cached in the user cache; default: whatever the file holds)",
    };

    /// <summary>llama-quantize's --token-embedding-type, applied at load (see <see cref="HeadTensorTypes"/>); read with <see cref="WeightFormatCheck.LoadOptions"/>.</summary>
    public static Option<string?> TokenEmbeddingType() => new(HeadTensorTypes.TokenEmbeddingFlag)
    {
        Description = $"Store an f32/f16/bf16 token embedding as {TypeList} at load, as llama-quantize's flag does (cached in the user cache; not with --quantization int8; a tied embedding is the output: use --output-tensor-type)",
    };

    /// <summary>llama-quantize's --output-tensor-type, applied at load (see <see cref="HeadTensorTypes"/>).</summary>
    public static Option<string?> OutputTensorType() => new(HeadTensorTypes.OutputTensorFlag)
    {
        Description = $"Store an f32/f16/bf16 lm_head (the shared embedding when tied) as {TypeList} at load, as llama-quantize's flag does (cached in the user cache; not with --quantization int8)",
    };

    public static Option<string?> PromptIds() => new("--prompt-ids")
    {
        Description = "Comma-separated token ids, e.g. 1,2,3",
    };

    private static string TypeList => string.Join(", ", HeadTensorTypes.Supported.Select(HeadTensorTypes.Name));

    /// <summary>
    /// The --model value as a local path: the embedded default (created on first use) when absent,
    /// the path itself when it exists, else a Hugging Face repo id fetched into the hub cache.
    /// </summary>
    public static string ResolveModel(string? model)
    {
        if (model is null)
        {
            return DefaultModel.Ensure(message => Console.Error.WriteLine(message));
        }

        if (File.Exists(model) || Directory.Exists(model))
        {
            return model;
        }

        if (!HubRepoId.TryParse(model, out HubRepoId repo))
        {
            throw new ArgumentException($"--model: no file or directory at {model}, and it is not a Hugging Face repo id (owner/name)");
        }

        using var downloader = new HubDownloader(HubSettings.FromEnvironment(), message => Console.Error.WriteLine(message));
        return downloader.EnsureAsync(repo).GetAwaiter().GetResult();
    }

    public static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ids[i]))
            {
                throw new ArgumentException($"--prompt-ids: '{parts[i]}' is not a token id");
            }
        }

        return ids.Length > 0 ? ids : throw new ArgumentException("--prompt-ids: no ids given");
    }

    /// <summary>Runs a command body, turning expected failures into one clear line on stderr and exit code 1.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ModelFormatException or Engine.Memory.MemoryBudgetException or Engine.Templates.TemplateException or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
