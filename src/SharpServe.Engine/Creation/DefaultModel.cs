using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Creation;

/// <summary>The embedded default model: the <c>tiny</c> preset, created on first use in the user cache.</summary>
public static class DefaultModel
{
    public const ulong Seed = 42;

    /// <summary>The name clients use for it when no --served-model-name is given (a cache path would be a poor name).</summary>
    public const string ServedName = "sharpserve-tiny";

    public static string Path => System.IO.Path.Combine(UserCache.SubDirectory("models"), "tiny-f32-seed42.gguf");

    /// <summary>Returns the default model's path, creating it first if it is not in the cache yet.</summary>
    public static string Ensure(Action<string>? log = null)
    {
        string path = Path;
        if (!File.Exists(path))
        {
            log?.Invoke($"creating the default model (tiny preset, seed {Seed}) at {path}");
            var tokenizer = DistillTokenizer.Build(TokenizerLocator.Locate(null), ModelPresets.Tiny.VocabSize);
            RandomModelWriter.Write(new RandomModelSpec(ModelPresets.Tiny, ModelFileFormat.Gguf, TensorDType.F32, Seed, tokenizer), path);
        }

        return path;
    }
}
