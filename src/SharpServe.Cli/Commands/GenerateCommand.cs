using System.CommandLine;
using System.Diagnostics;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Templates;
using SharpServe.Server.Chat;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve generate</c>: streams a continuation of a prompt and reports prefill and decode speed.</summary>
internal static class GenerateCommand
{
    public static Command Build()
    {
        var model = CommonOptions.Model();
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (encoded with the model's tokenizer, BOS added)" };
        var promptIds = CommonOptions.PromptIds();
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 32 };
        var temperature = new Option<float?>("--temperature") { Description = "0 = greedy (default: the model's generation_config, else 0.6 as DeepSeek recommends)" };
        var topP = new Option<float?>("--top-p") { Description = "Nucleus mass in (0, 1]; 1 disables it (default: the model's generation_config, else 0.95 as DeepSeek recommends)" };
        var chat = new Option<bool>("--chat") { Description = "Send --prompt as one user turn through the model's chat template, reply forced to open with <think>" };
        var seed = new Option<int>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0 };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Keep generating after an end-of-sequence token" };
        var kvCacheDType = new Option<string>("--kv-cache-dtype") { Description = $"KV-cache element type: {KvCacheDTypeExtensions.FlagValues} (auto = float32 on CPU)", DefaultValueFactory = _ => "auto" };
        var quantization = CommonOptions.Quantization();
        var tokenEmbeddingType = CommonOptions.TokenEmbeddingType();
        var outputTensorType = CommonOptions.OutputTensorType();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var command = new Command("generate", "Generate a continuation of a prompt")
        {
            model, prompt, promptIds, chat, maxTokens, temperature, topP, seed, ignoreEos, kvCacheDType, quantization, tokenEmbeddingType, outputTensorType, threads, device,
        };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            int max = parse.GetValue(maxTokens);
            if (max < 1)
            {
                throw new ArgumentException("--max-tokens must be at least 1");
            }

            KvCacheDType kvType = KvCacheDTypeExtensions.Parse(parse.GetValue(kvCacheDType)!);

            string? quantizationName = parse.GetValue(quantization);
            // An unknown value fails before the model is resolved or loaded.
            var loadOptions = WeightFormatCheck.LoadOptions(quantizationName, parse.GetValue(tokenEmbeddingType), parse.GetValue(outputTensorType));
            string deviceDescription = "";
            using var loaded = WeightFormatCheck.Open(
                CommonOptions.ResolveModel(parse.GetValue(model)), quantizationName, loadOptions, parse.GetValue(threads), parse.GetValue(device)!, description => deviceDescription = description);
            int[] ids = PromptTokens(loaded, parse.GetValue(prompt), parse.GetValue(promptIds), parse.GetValue(chat));
            Console.Error.WriteLine($"Device: {deviceDescription}"); // after the prompt is checked: a bad one is the only line
            Console.Error.WriteLine($"weights: {ResidentWeights.Describe(loaded)}");
            var generation = loaded.Checkpoint.Generation;
            var parameters = new SamplingParams(
                temperature: parse.GetValue(temperature) ?? generation.Temperature ?? 0.6f,
                topP: parse.GetValue(topP) ?? generation.TopP ?? 0.95f,
                seed: parse.GetValue(seed),
                maxTokens: max,
                ignoreEos: parse.GetValue(ignoreEos),
                skipSpecialTokens: false);
            Run(loaded, ids, parameters, kvType);
            return 0;
        }));
        return command;
    }

    private static int[] PromptTokens(LoadedModel loaded, string? text, string? ids, bool chat)
    {
        if ((text is null) == (ids is null))
        {
            throw new ArgumentException("give exactly one of --prompt and --prompt-ids");
        }

        if (ids is not null)
        {
            return chat ? throw new ArgumentException("--chat needs --prompt text") : CommonOptions.ParseIds(ids);
        }

        var tokenizer = loaded.Tokenizer ?? throw new ArgumentException("this model has no tokenizer: use --prompt-ids");
        if (!chat)
        {
            return tokenizer.Encode(text!, addSpecialTokens: true);
        }

        // The template writes bos_token itself, so encoding must not add a second BOS.
        return tokenizer.Encode(RenderChat(tokenizer.Spec, text!), addSpecialTokens: false);
    }

    /// <summary>The prompt as one user turn with the generation prompt, per DeepSeek-R1's usage advice.</summary>
    private static string RenderChat(Engine.Tokenization.TokenizerSpec spec, string text) =>
        new ChatPromptBuilder(spec, new ChatPromptOptions { ForceThinkPrefix = true })
            .Render([new Dictionary<string, object?> { ["role"] = "user", ["content"] = text }], addGenerationPrompt: true);

    /// <summary>
    /// Runs the one request through the continuous-batching engine, with a KV cache of exactly the blocks it
    /// can use, and reports prefill speed (time to the first token) and decode speed (the tokens after it).
    /// </summary>
    private static void Run(LoadedModel loaded, int[] prompt, SamplingParams parameters, KvCacheDType kvType)
    {
        int maxModelLen = prompt.Length + parameters.MaxTokens!.Value;
        int blocks = (maxModelLen + KvCachePool.DefaultBlockSize - 1) / KvCachePool.DefaultBlockSize;
        var config = new SchedulerConfig(maxNumBatchedTokens: Math.Max(prompt.Length, 1), maxNumSeqs: 1, maxModelLen, maxQueue: 0);
        using var engine = new LlmEngine(loaded, config, blocks, kvType, enablePrefixCaching: false, NullEngineMetricsSink.Instance);
        var printer = new StreamingPrinter(hasText: loaded.Tokenizer is not null);
        var clock = Stopwatch.StartNew();
        TimeSpan firstToken = default;
        int generated = 0;
        var outputs = engine.Submit(new EngineRequest("generate", prompt, parameters));
        while (outputs.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (outputs.TryRead(out RequestOutput? output))
            {
                firstToken = generated == 0 ? clock.Elapsed : firstToken;
                generated += output.NewTokenIds.Count;
                printer.Print(output);
            }
        }

        var decode = clock.Elapsed - firstToken;
        Console.WriteLine();
        int decodeSteps = generated - 1;
        Console.Error.WriteLine(
            $"prompt {prompt.Length} tokens, prefill {prompt.Length / firstToken.TotalSeconds:F1} tok/s; " +
            $"generated {generated} tokens, decode {(decodeSteps > 0 ? decodeSteps / decode.TotalSeconds : 0):F1} tok/s");
    }
}
