using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Bench;

/// <summary>The random-weight r1-distill-1.5b GGUF files the benchmarks run on, created once in the user cache.</summary>
public static class BenchModels
{
    /// <summary>The r1-distill-1.5b preset (seed 1) as a GGUF of <paramref name="type"/>, created first if missing.</summary>
    public static string Ensure(TensorDType type, string? tokenizerPath) =>
        Ensure(type.ToString().ToLowerInvariant(), type, q4KMedium: false, tokenizerPath);

    /// <summary>The same preset in llama-quantize's Q4_K_M mix (Q4_K, some tensors Q6_K), as Ollama ships it.</summary>
    public static string EnsureQ4KMedium(string? tokenizerPath) => Ensure("q4_k_m", TensorDType.Q4_K, q4KMedium: true, tokenizerPath);

    private static string Ensure(string tag, TensorDType type, bool q4KMedium, string? tokenizerPath)
    {
        string path = Path.Combine(UserCache.SubDirectory("models"), $"r1-distill-1.5b-{tag}-seed1.gguf");
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"creating {path} ...");
            var tokenizer = DistillTokenizer.Build(TokenizerLocator.Locate(tokenizerPath), ModelPresets.R1Distill1_5B.VocabSize);
            RandomModelWriter.Write(new RandomModelSpec(ModelPresets.R1Distill1_5B, ModelFileFormat.Gguf, type, 1, tokenizer, q4KMedium), path);
        }

        return path;
    }

    /// <summary>The same preset and seed as an AutoAWQ GEMM HF directory (create-model --format hf --dtype awq), created first if missing.</summary>
    public static string EnsureAwqHf(string? tokenizerPath)
    {
        string path = Path.Combine(UserCache.SubDirectory("models"), "r1-distill-1.5b-awq-seed1-hf");
        if (!Directory.Exists(path))
        {
            Console.Error.WriteLine($"creating {path} ...");
            var tokenizer = DistillTokenizer.Build(TokenizerLocator.Locate(tokenizerPath), ModelPresets.R1Distill1_5B.VocabSize);
            // Written aside and renamed: an interrupted write must not leave a directory that looks complete.
            string partial = path + ".partial";
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }

            RandomModelWriter.Write(new RandomModelSpec(ModelPresets.R1Distill1_5B, ModelFileFormat.Hf, TensorDType.Awq4, 1, tokenizer), partial);
            Directory.Move(partial, path);
        }

        return path;
    }
}
