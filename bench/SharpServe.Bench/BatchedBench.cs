using System.CommandLine;
using LLama;
using LLama.Common;
using SharpServe.Cli.Benchmarks;
using SharpServe.Cli.Commands;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Bench;

/// <summary>
/// Continuous batching, SharpServe against llama.cpp in one run: for each concurrency level, the same
/// prompts go through the same closed-loop driver to SharpServe's engine and then to llama.cpp's
/// batched executor with as many parallel sequences, on the same GGUF file.
/// </summary>
public static class BatchedBench
{
    public static int Run(string[] args)
    {
        LlamaCppLog.Install();
        var options = new BenchmarkOptions("the r1-distill-1.5b Q8_0 GGUF in the user cache, created on first use");
        var command = new RootCommand("SharpServe.Bench batched: continuous-batching throughput, SharpServe vs llama.cpp");
        foreach (Option option in options.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CommonOptions.Run(() =>
        {
            BenchmarkSettings settings = options.Read(parse);
            if (settings.Quantization is not null)
            {
                // Both engines run the one file given; quantizing only SharpServe's copy would compare different weights.
                throw new ArgumentException("--quantization: batched runs llama.cpp and SharpServe on the same file as stored; pass a quantized GGUF instead (the engine table's int8 format compares int8 at load with llama.cpp's q8_0)");
            }

            if (settings.ConvertsAtLoad)
            {
                throw new ArgumentException("--token-embedding-type / --output-tensor-type: batched runs llama.cpp and SharpServe on the same file as stored; pass a GGUF that llama-quantize wrote with those flags instead");
            }

            Compare(settings, settings.Model ?? BenchModels.Ensure(TensorDType.Q8_0, tokenizerPath: null));
            return 0;
        }));
        return command.Parse(args).Invoke();
    }

    private static void Compare(BenchmarkSettings settings, string path)
    {
        if (!File.Exists(path) || settings.InputLen > 2048)
        {
            throw new ArgumentException($"llama.cpp needs a GGUF file (got '{path}') and a prompt that fits its 2048-token batch (got --input-len {settings.InputLen})");
        }

        using var model = LoadedModel.Open(path, settings.Threads);
        var workload = BenchmarkWorkload.Create(RandomPrompts.OrdinaryIds(model), settings);
        using var engine = EngineTarget.Create(model, settings, Console.Error.WriteLine);
        using var weights = LLamaWeights.LoadFromFile(new ModelParams(path) { GpuLayerCount = 0 });
        var ours = new List<LevelStatistics>();
        var theirs = new List<LevelStatistics>();
        IReadOnlyDictionary<string, string> llamaSettings = new Dictionary<string, string>();
        foreach (LevelWorkload level in workload)
        {
            ours.Add(BenchmarkRunner.RunLevelAsync(engine, level).GetAwaiter().GetResult());
            Console.Error.WriteLine(LevelTable.Summary("sharpserve", ours[^1]));

            // A context per level, sized for exactly this many parallel sequences, as llama-batched-bench's -npl does.
            ModelParams parameters = LlamaCppBatchedTarget.Parameters(path, level.Concurrency, settings.InputLen + settings.OutputLen, settings.Threads);
            using (var llama = new LlamaCppBatchedTarget(weights, parameters))
            {
                theirs.Add(BenchmarkRunner.RunLevelAsync(llama, level).GetAwaiter().GetResult());
            }

            llamaSettings = LlamaCppBatchedTarget.Describe(parameters);
            Console.Error.WriteLine(LevelTable.Summary("llama.cpp", theirs[^1]));
        }

        Console.WriteLine($"batched: {Path.GetFileName(path)}, input {settings.InputLen}, output {settings.OutputLen}, {settings.NumPrompts} prompts and {settings.Warmup} warm-up per level, {settings.Threads} threads");
        Console.WriteLine($"llama.cpp: {string.Join(", ", llamaSettings.Select(pair => $"{pair.Key} {pair.Value}"))} (as resolved for the last level)");
        Print("SharpServe", LevelTable.Lines(ours));
        Print("llama.cpp", LevelTable.Lines(theirs));
        Print("SharpServe ÷ llama.cpp", ComparisonTable.Lines(ours, theirs));
        if (settings.OutputJson is { } json)
        {
            BenchmarkJson.Write(json, settings,
            [
                new TargetReport("sharpserve", path, EngineTarget.Describe(settings, $"cpu, {settings.Threads} threads"), ours),
                new TargetReport("llama.cpp", path, llamaSettings, theirs),
            ]);
        }
    }

    private static void Print(string title, IEnumerable<string> lines)
    {
        Console.WriteLine();
        Console.WriteLine(title);
        foreach (string line in lines)
        {
            Console.WriteLine(line);
        }
    }
}
