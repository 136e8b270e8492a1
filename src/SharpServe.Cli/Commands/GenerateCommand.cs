using System.CommandLine;
using System.Diagnostics;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Models;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Templates;

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
        var threads = CommonOptions.Threads();
        var command = new Command("generate", "Generate a continuation of a prompt")
        {
            model, prompt, promptIds, chat, maxTokens, temperature, topP, seed, ignoreEos, threads,
        };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            int max = parse.GetValue(maxTokens);
            if (max < 1)
            {
                throw new ArgumentException("--max-tokens must be at least 1");
            }

            using var loaded = LoadedModel.Open(CommonOptions.ResolveModel(parse.GetValue(model)), parse.GetValue(threads));
            int[] ids = PromptTokens(loaded, parse.GetValue(prompt), parse.GetValue(promptIds), parse.GetValue(chat));
            var generation = loaded.Checkpoint.Generation;
            var sampler = new Sampler(
                parse.GetValue(temperature) ?? generation.Temperature ?? 0.6f,
                parse.GetValue(topP) ?? generation.TopP ?? 0.95f,
                parse.GetValue(seed));
            var eos = parse.GetValue(ignoreEos) ? [] : loaded.Checkpoint.Generation.EosTokenIds;
            Run(loaded, ids, max, sampler, eos);
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
    private static string RenderChat(Engine.Tokenization.TokenizerSpec spec, string text)
    {
        string source = spec.ChatTemplate ?? throw new ArgumentException("this model has no chat template: drop --chat");
        var context = new ChatTemplateContext
        {
            Messages = [new Dictionary<string, object?> { ["role"] = "user", ["content"] = text }],
            AddGenerationPrompt = true,
            BosToken = spec.BosId is int bos ? spec.Tokens[bos] : null,
            EosToken = spec.EosId is int eos ? spec.Tokens[eos] : null,
        };
        return ChatPrompt.Render(ChatTemplate.Parse(source), context, new ChatPromptOptions { ForceThinkPrefix = true });
    }

    private static void Run(LoadedModel loaded, int[] prompt, int maxTokens, Sampler sampler, IReadOnlyList<int> eos)
    {
        int vocab = loaded.Config.VocabSize;
        int capacity = prompt.Length + maxTokens;
        var pool = new KvCachePool(loaded.Config, (capacity + KvCachePool.DefaultBlockSize - 1) / KvCachePool.DefaultBlockSize);
        var runner = new ModelRunner(loaded.Model, pool);
        var sequence = new SequenceState();
        var logits = new float[vocab];
        var generated = new List<int>(maxTokens);
        var printer = new StreamingPrinter(loaded.Tokenizer);

        var clock = Stopwatch.StartNew();
        runner.Step([new BatchEntry(sequence, prompt)], allPositions: false, logits);
        var prefill = clock.Elapsed;

        // One entry and one token buffer reused for every decode step: the loop allocates nothing.
        var next = new int[1];
        BatchEntry[] step = [new BatchEntry(sequence, next)];
        clock.Restart();
        while (true)
        {
            int token = sampler.Sample(logits);
            generated.Add(token);
            printer.Print(token);
            if (generated.Count == maxTokens || eos.Contains(token))
            {
                break;
            }

            next[0] = token;
            runner.Step(step, allPositions: false, logits);
        }

        var decode = clock.Elapsed;
        printer.Finish();
        Console.WriteLine();
        int decodeSteps = generated.Count - 1;
        Console.Error.WriteLine(
            $"prompt {prompt.Length} tokens, prefill {prompt.Length / prefill.TotalSeconds:F1} tok/s; " +
            $"generated {generated.Count} tokens, decode {(decodeSteps > 0 ? decodeSteps / decode.TotalSeconds : 0):F1} tok/s");
    }
}
