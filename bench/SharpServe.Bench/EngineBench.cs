using System.Diagnostics;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Tests.Oracle;

namespace SharpServe.Bench;

/// <summary>
/// SharpServe against llama.cpp (LLamaSharp 0.30.0) on the same GGUF files in one run: decode
/// tokens/s for one sequence and prefill tokens/s for 128- and 512-token prompts, after warm-up,
/// median of interleaved repeats, with the memory-bandwidth limit for decode measured on this machine.
/// </summary>
public static class EngineBench
{
    public static int Run(string[] args)
    {
        var options = BenchOptions.Parse(args);
        double bandwidth = MemoryBandwidth.MeasureGBps(options.Threads);
        var models = options.Models.Count > 0 ? options.Models : DefaultModels(options.Tokenizer);
        var rows = new List<string>
        {
            $"| model | engine | decode tok/s | % of limit | prefill 128 tok/s | prefill 512 tok/s |",
            $"|---|---|---|---|---|---|",
        };
        foreach (string path in models)
        {
            double limit = DecodeLimit(path, bandwidth);
            var ours = new List<Measurement>();
            var theirs = new List<Measurement>();
            using var model = LoadedModel.Open(path, options.Threads);
            using var llama = new LlamaCppOracle(path, contextSize: 1024, threads: options.Threads, exactNumerics: false);
            Measure(model, options, warmUp: true);
            MeasureLlama(llama, options, warmUp: true);
            for (int r = 0; r < options.Repeats; r++)
            {
                ours.Add(Measure(model, options, warmUp: false));
                theirs.Add(MeasureLlama(llama, options, warmUp: false));
                Console.Error.WriteLine($"{Path.GetFileName(path)} repeat {r + 1}: sharpserve {ours[^1]}, llama.cpp {theirs[^1]}");
            }

            var a = Measurement.Median(ours);
            var b = Measurement.Median(theirs);
            string name = Path.GetFileName(path);
            rows.Add($"| {name} | SharpServe | {a.Decode:F2} | {100 * a.Decode / limit:F0} % | {a.Prefill128:F1} | {a.Prefill512:F1} |");
            rows.Add($"| {name} | llama.cpp | {b.Decode:F2} | {100 * b.Decode / limit:F0} % | {b.Prefill128:F1} | {b.Prefill512:F1} |");
            rows.Add($"| {name} | ratio | {a.Decode / b.Decode:F2}× | | {a.Prefill128 / b.Prefill128:F2}× | {a.Prefill512 / b.Prefill512:F2}× |");
        }

        Console.WriteLine($"threads {options.Threads}, decode {options.DecodeTokens} tokens, median of {options.Repeats}; decode limit = measured read bandwidth {bandwidth:F1} GB/s ÷ weight bytes per token");
        rows.ForEach(Console.WriteLine);
        return 0;
    }

    private static Measurement Measure(LoadedModel model, BenchOptions options, bool warmUp)
    {
        var prompt128 = Prompt(128);
        var prompt512 = Prompt(512);
        int decodeTokens = warmUp ? 4 : options.DecodeTokens;
        var pool = new KvCachePool(model.Config, (512 + options.DecodeTokens) / KvCachePool.DefaultBlockSize + 2);
        var runner = new ModelRunner(model.Model, pool);
        var logits = new float[model.Config.VocabSize];

        double Prefill(int[] prompt)
        {
            var sequence = new SequenceState();
            var clock = Stopwatch.StartNew();
            runner.Step([new BatchEntry(sequence, prompt)], allPositions: false, logits);
            double rate = prompt.Length / clock.Elapsed.TotalSeconds;
            runner.Release(sequence);
            return rate;
        }

        double p128 = Prefill(prompt128);
        double p512 = warmUp ? 0 : Prefill(prompt512);

        var decodeSequence = new SequenceState();
        runner.Step([new BatchEntry(decodeSequence, prompt128[..8])], allPositions: false, logits);
        var next = new int[1];
        BatchEntry[] step = [new BatchEntry(decodeSequence, next)];
        var timer = Stopwatch.StartNew();
        for (int i = 0; i < decodeTokens; i++)
        {
            next[0] = SharpServe.Engine.Sampling.Greedy.ArgMax(logits);
            runner.Step(step, allPositions: false, logits);
        }

        double decode = decodeTokens / timer.Elapsed.TotalSeconds;
        runner.Release(decodeSequence);
        return new Measurement(decode, p128, p512);
    }

    private static Measurement MeasureLlama(LlamaCppOracle llama, BenchOptions options, bool warmUp)
    {
        int decodeTokens = warmUp ? 4 : options.DecodeTokens;

        double Prefill(int[] prompt)
        {
            llama.Reset();
            var clock = Stopwatch.StartNew();
            llama.Feed(prompt, allLogits: false);
            return prompt.Length / clock.Elapsed.TotalSeconds;
        }

        double p128 = Prefill(Prompt(128));
        double p512 = warmUp ? 0 : Prefill(Prompt(512));

        llama.Reset();
        var logits = llama.Feed(Prompt(128)[..8], allLogits: false)[0];
        var timer = Stopwatch.StartNew();
        for (int i = 0; i < decodeTokens; i++)
        {
            logits = llama.Feed([SharpServe.Engine.Sampling.Greedy.ArgMax(logits)], 8 + i, allLogits: false)[0];
        }

        return new Measurement(decodeTokens / timer.Elapsed.TotalSeconds, p128, p512);
    }

    /// <summary>Decode tokens/s the memory bandwidth allows: every weight but the embedding table is read once per token.</summary>
    private static double DecodeLimit(string path, double bandwidthGBps)
    {
        using var checkpoint = ModelLoader.Load(path);
        long bytes = checkpoint.Tensors.Values.Where(t => t.Name != checkpoint.Names.TokenEmbedding || checkpoint.Config.TieWordEmbeddings).Sum(t => (long)t.Data.Length);
        return bandwidthGBps * 1e9 / bytes;
    }

    private static int[] Prompt(int length)
    {
        var random = new Random(length);
        return Enumerable.Range(0, length).Select(_ => random.Next(0, 151643)).ToArray();
    }

    /// <summary>The r1-distill-1.5b preset as Q8_0, F16 and BF16 GGUF.</summary>
    private static List<string> DefaultModels(string? tokenizerPath) =>
        [.. new[] { TensorDType.Q8_0, TensorDType.F16, TensorDType.BF16 }.Select(type => BenchModels.Ensure(type, tokenizerPath))];

    private sealed record Measurement(double Decode, double Prefill128, double Prefill512)
    {
        public static Measurement Median(List<Measurement> all) => new(
            MedianOf(all.Select(m => m.Decode)), MedianOf(all.Select(m => m.Prefill128)), MedianOf(all.Select(m => m.Prefill512)));

        public override string ToString() => $"decode {Decode:F2} tok/s, prefill128 {Prefill128:F1}, prefill512 {Prefill512:F1}";

        private static double MedianOf(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    private sealed record BenchOptions(List<string> Models, int Threads, int DecodeTokens, int Repeats, string? Tokenizer)
    {
        public static BenchOptions Parse(string[] args)
        {
            var options = new BenchOptions([], 2, 32, 3, null);
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                options = args[i] switch
                {
                    "--model" => options with { Models = [.. options.Models, Value()] },
                    "--threads" => options with { Threads = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                    "--decode-tokens" => options with { DecodeTokens = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                    "--repeats" => options with { Repeats = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                    "--tokenizer" => options with { Tokenizer = Value() },
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }

            return options;
        }
    }
}
