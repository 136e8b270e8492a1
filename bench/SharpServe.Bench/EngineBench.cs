using System.Diagnostics;
using System.Globalization;
using LLama;
using LLama.Common;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Tests.Oracle;

namespace SharpServe.Bench;

/// <summary>
/// SharpServe against llama.cpp (LLamaSharp 0.30.0) on the same files in one run, per format: decode
/// tokens/s for one sequence, prefill tokens/s for one 512-token prompt, and batched decode-only tokens/s
/// for 32 sequences, after warm-up, medians of interleaved repeats; each next to the GB/s and GFLOP/s it
/// implies and its share of the phase's limit (bandwidth and arithmetic peaks measured in the same run).
/// </summary>
public static class EngineBench
{
    /// <summary>Prompt tokens before the single-sequence decode starts.</summary>
    private const int DecodePrompt = 8;

    /// <summary>Batched decode steps run once before the timed ones.</summary>
    private const int BatchedWarmUpSteps = 2;

    public static int Run(string[] args)
    {
        var options = BenchOptions.Parse(args);
        LlamaCppLog.Install();
        var probe = new BandwidthProbe(options.Threads);
        var peaks = (Float32: ArithmeticPeak.MeasureFloat32GFlops(options.Threads), Int8: ArithmeticPeak.MeasureInt8Gops(options.Threads));
        MachineLimits Machine() => new(probe.BestGBps, peaks.Float32, peaks.Int8);
        Console.Error.WriteLine(EngineTable.Limits(Machine(), options.Threads, probe.Probes));
        var results = new List<FormatResult>();
        foreach (var format in options.Formats)
        {
            results.Add(MeasureFormat(format, options, probe));

            // Written after every format, so a long run that is stopped keeps the formats it finished.
            if (options.Markdown is { } markdown)
            {
                File.WriteAllLines(markdown, Report(options, Machine(), probe.Probes, results));
            }
        }

        Report(options, Machine(), probe.Probes, results).ForEach(Console.WriteLine);
        return 0;
    }

    private static List<string> Report(BenchOptions options, MachineLimits machine, int probes, IReadOnlyList<FormatResult> results) =>
    [
        EngineTable.Limits(machine, options.Threads, probes),
        Invariant($"median of {options.Repeats} interleaved repeats after warm-up; decode: {options.DecodeTokens} tokens of one sequence after a {DecodePrompt}-token prompt; prefill: one {options.PrefillTokens}-token prompt; batched: {options.BatchedSteps} decode-only steps of {options.BatchedSequences} sequences after {options.BatchedPrompt}-token prompts"),
        "limit: the roofline of the phase — weight bytes streamed per forward pass ÷ bandwidth, or FLOPs (2 × matmul params per token, LM head per sampled row, 4 × heads × head_dim × layers per attended key) ÷ the format's peak (f32 FMA for f16/bf16, int8 dot for integer formats), whichever is slower",
        .. EngineTable.PeerNote(options.Formats),
        "",
        .. EngineTable.Lines([.. results.SelectMany(result => result.Rows(machine))]),
        "",
        .. results.Select(result => result.PairedDecodeLine()),
    ];

    private static FormatResult MeasureFormat(BenchFormat format, BenchOptions options, BandwidthProbe probe)
    {
        string path = format.EnsureFile(options.Tokenizer);
        string? llamaPath = format.EnsureLlamaCppFile?.Invoke(options.Tokenizer);
        int[][] batchedPrompts = BatchedPrompts.Create(options.BatchedSequences, options.BatchedPrompt);
        int maxBatchedSteps = BatchedWarmUpSteps + options.Repeats * options.BatchedSteps;
        var phases = new[]
        {
            PhaseShape.Decode(DecodePrompt, options.DecodeTokens),
            PhaseShape.Prefill(options.PrefillTokens),
            // Attention grows by a key a step; the first timed repeat's start is used (attention is < 1 % of the FLOPs here).
            PhaseShape.Batched(options.BatchedSequences, options.BatchedPrompt + BatchedWarmUpSteps, options.BatchedSteps),
        };

        var checkpoint = format.Load(path, options.Threads);
        var backend = new CpuBackend(options.Threads);
        var timer = options.Profile ? new TimedBackend(backend) : null;
        using var model = LoadedModel.FromCheckpoint(checkpoint, (IComputeBackend?)timer ?? backend);
        var ours = new Engine("sharpserve", format.CostOf(model), new SharpServeSingle(model, options), new SharpServeBatchedDecode(model, batchedPrompts, maxBatchedSteps))
        {
            Profile = timer is null ? null : new PhaseProfile(format.Name, timer),
        };
        using var llama = llamaPath is null ? null : OpenLlama(llamaPath, options, batchedPrompts, maxBatchedSteps);
        Engine[] engines = llama is null ? [ours] : [ours, llama];
        try
        {
            foreach (var engine in engines)
            {
                engine.WarmUp();
            }

            for (int r = 0; r < options.Repeats; r++)
            {
                foreach (var engine in engines)
                {
                    // Just before each engine, so that its decode (measured first) can be judged against the same minute.
                    engine.Measure(options, probe.Measure());
                }

                Console.Error.WriteLine($"{format.Name} repeat {r + 1}: {string.Join("; ", engines.Select(e => e.Last()))}");
            }

            return new FormatResult(format, phases, ours.Results(), llama?.Results());
        }
        finally
        {
            ours.Dispose();
        }
    }

    private static Engine OpenLlama(string path, BenchOptions options, int[][] batchedPrompts, int maxBatchedSteps)
    {
        ModelCost cost;
        using (var checkpoint = ModelLoader.Load(path))
        {
            cost = ModelCost.FromCheckpoint(checkpoint);
        }

        var weights = LLamaWeights.LoadFromFile(new ModelParams(path) { GpuLayerCount = 0 });
        var oracle = new LlamaCppOracle(path, contextSize: 1024, threads: options.Threads, exactNumerics: false);
        return new Engine("llama.cpp", cost, new LlamaCppSingle(oracle), new LlamaCppBatchedDecode(weights, path, batchedPrompts, maxBatchedSteps, options.Threads), weights, oracle);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static int[] Prompt(int length)
    {
        var random = new Random(length);
        return Enumerable.Range(0, length).Select(_ => random.Next(0, 151643)).ToArray();
    }

    /// <summary>Single-sequence decode and prefill for one engine.</summary>
    private interface ISingleSequence
    {
        double Prefill(int[] prompt);

        /// <summary>Tokens/s of <paramref name="tokens"/> greedy decode steps after <paramref name="prompt"/>.</summary>
        double Decode(int[] prompt, int tokens);
    }

    /// <summary>One engine's sessions, its cost and its measured repeats (decode, prefill, batched per repeat).</summary>
    private sealed class Engine(string name, ModelCost cost, ISingleSequence single, IBatchedDecodeSession batched, params IDisposable[] owned) : IDisposable
    {
        private readonly List<double[]> _repeats = [];
        private readonly List<double> _probes = [];

        public void WarmUp()
        {
            single.Prefill(Prompt(128));
            single.Decode(Prompt(DecodePrompt), 4);
            batched.Run(BatchedWarmUpSteps);
        }

        /// <summary>With --profile, where SharpServe's phases spend their time, printed after each timed phase.</summary>
        public PhaseProfile? Profile { get; init; }

        /// <summary>One repeat of every phase; <paramref name="probeGBps"/>: the read probe taken just before it.</summary>
        public void Measure(BenchOptions options, double probeGBps)
        {
            _probes.Add(probeGBps);
            _repeats.Add(
            [
                Phase("decode", () => single.Decode(Prompt(DecodePrompt), options.DecodeTokens)),
                Phase("prefill", () => single.Prefill(Prompt(options.PrefillTokens))),
                Phase("batched", () => batched.Run(options.BatchedSteps)),
            ]);
        }

        private double Phase(string phase, Func<double> run) => Profile is { } profile ? profile.Measure(phase, run) : run();

        public string Last() => Invariant($"{name}: decode {_repeats[^1][0]:F2}, prefill {_repeats[^1][1]:F1}, batched {_repeats[^1][2]:F1} tok/s");

        /// <summary>The median tokens/s of each phase (decode, prefill, batched) over the repeats, with this engine's cost.</summary>
        public EngineResults Results() =>
            new(cost, [.. Enumerable.Range(0, 3).Select(i => Statistics.Median(_repeats.Select(r => r[i])))], [.. _repeats.Select(r => r[0])], [.. _probes]);

        public void Dispose()
        {
            batched.Dispose();
            foreach (var item in owned.Reverse())
            {
                item.Dispose();
            }
        }
    }

    /// <summary>
    /// An engine's median tokens/s per phase, its decode tokens/s in each repeat with the probe taken before that repeat,
    /// and the cost they are judged by.
    /// </summary>
    private sealed record EngineResults(ModelCost Cost, double[] TokensPerS, double[] DecodeRepeats, double[] RepeatProbes)
    {
        /// <summary>Each repeat's decode GB/s beside its probe.</summary>
        public PairedRuns DecodeRuns(PhaseShape decode) =>
            new(RepeatProbes, [.. DecodeRepeats.Select(tokensPerS => Roofline.StreamedGBps(Cost, decode, tokensPerS))]);

        public Achieved Achieved(PhaseShape phase, int index, PeakKind peak, MachineLimits machine) =>
            Roofline.Achieved(Cost, phase, TokensPerS[index], Limit(phase, peak, machine));

        public PhaseLimit Limit(PhaseShape phase, PeakKind peak, MachineLimits machine) =>
            Roofline.Limit(Cost, phase, machine.BandwidthGBps, machine.Peak(peak));
    }

    /// <summary>One format's measurements; its rows are judged against the limits known when the table is written.</summary>
    private sealed record FormatResult(BenchFormat Format, PhaseShape[] Phases, EngineResults Ours, EngineResults? Theirs)
    {
        public string PairedDecodeLine() =>
            PairedDecode.Line(Format.Label, Ours.DecodeRuns(Phases[0]), Theirs?.DecodeRuns(Phases[0]));

        public IEnumerable<EngineTableRow> Rows(MachineLimits machine) => Phases.Select((phase, i) => new EngineTableRow(
            Format.Label, phase.Name, Ours.Limit(phase, Format.Peak, machine), Ours.Achieved(phase, i, Format.Peak, machine),
            Theirs?.Achieved(phase, i, Format.Peak, machine)));
    }

    /// <summary>
    /// The read-bandwidth limit, probed before every repeat and taken as the best probe of the run: other tenants of a
    /// shared machine take bandwidth for minutes at a time, and one probe in such a minute understated the limit by a third
    /// (2026-12-07: 36 GB/s, then decode itself streamed 43).
    /// </summary>
    private sealed class BandwidthProbe
    {
        private readonly int _threads;

        public BandwidthProbe(int threads)
        {
            _threads = threads;
            Measure();
        }

        public double BestGBps { get; private set; }

        public int Probes { get; private set; }

        /// <summary>Probes once more and returns this probe's GB/s.</summary>
        public double Measure()
        {
            double gbps = MemoryBandwidth.MeasureGBps(_threads);
            BestGBps = Math.Max(BestGBps, gbps);
            Probes++;
            return gbps;
        }
    }

    private sealed class SharpServeSingle(LoadedModel model, BenchOptions options) : ISingleSequence
    {
        private readonly ModelRunner _runner = new(model.Model, Prefaulted(new KvCachePool(model.Config, (Math.Max(options.PrefillTokens, 128) + options.DecodeTokens) / KvCachePool.DefaultBlockSize + 2)));
        private readonly float[] _logits = new float[model.Config.VocabSize];

        private static KvCachePool Prefaulted(KvCachePool cache)
        {
            cache.Prefault();
            return cache;
        }

        public double Prefill(int[] prompt)
        {
            var sequence = new SequenceState();
            var clock = Stopwatch.StartNew();
            _runner.Step([new BatchEntry(sequence, prompt)], allPositions: false, _logits);
            double rate = prompt.Length / clock.Elapsed.TotalSeconds;
            _runner.Release(sequence);
            return rate;
        }

        public double Decode(int[] prompt, int tokens)
        {
            var sequence = new SequenceState();
            _runner.Step([new BatchEntry(sequence, prompt)], allPositions: false, _logits);
            var next = new int[1];
            BatchEntry[] step = [new BatchEntry(sequence, next)];
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < tokens; i++)
            {
                next[0] = Greedy.ArgMax(_logits);
                _runner.Step(step, allPositions: false, _logits);
            }

            double rate = tokens / clock.Elapsed.TotalSeconds;
            _runner.Release(sequence);
            return rate;
        }
    }

    private sealed class LlamaCppSingle(LlamaCppOracle llama) : ISingleSequence
    {
        public double Prefill(int[] prompt)
        {
            llama.Reset();
            var clock = Stopwatch.StartNew();
            llama.Feed(prompt, allLogits: false);
            return prompt.Length / clock.Elapsed.TotalSeconds;
        }

        public double Decode(int[] prompt, int tokens)
        {
            llama.Reset();
            var logits = llama.Feed(prompt, allLogits: false)[0];
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < tokens; i++)
            {
                logits = llama.Feed([Greedy.ArgMax(logits)], prompt.Length + i, allLogits: false)[0];
            }

            return tokens / clock.Elapsed.TotalSeconds;
        }
    }

    private sealed record BenchOptions(
        IReadOnlyList<BenchFormat> Formats, int Threads, int DecodeTokens, int PrefillTokens,
        int BatchedSequences, int BatchedPrompt, int BatchedSteps, int Repeats, string? Tokenizer, string? Markdown, bool Profile)
    {
        public static BenchOptions Parse(string[] args)
        {
            var options = new BenchOptions(BenchFormats.All, 2, 32, 512, 32, 32, 16, 3, null, null, false);
            var files = new List<BenchFormat>();
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                int Number() => int.Parse(Value(), CultureInfo.InvariantCulture);
                switch (args[i])
                {
                    case "--model": files.Add(BenchFormat.ForFile(Value())); break;
                    case "--formats": options = options with { Formats = BenchFormats.Parse(Value()) }; break;
                    case "--threads": options = options with { Threads = Number() }; break;
                    case "--decode-tokens": options = options with { DecodeTokens = Number() }; break;
                    case "--prefill-tokens": options = options with { PrefillTokens = Number() }; break;
                    case "--batched-sequences": options = options with { BatchedSequences = Number() }; break;
                    case "--batched-prompt": options = options with { BatchedPrompt = Number() }; break;
                    case "--batched-steps": options = options with { BatchedSteps = Number() }; break;
                    case "--repeats": options = options with { Repeats = Number() }; break;
                    case "--tokenizer": options = options with { Tokenizer = Value() }; break;
                    case "--markdown": options = options with { Markdown = Value() }; break;
                    case "--profile": options = options with { Profile = true }; break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }

            // Files given with --model replace the format list.
            return files.Count > 0 ? options with { Formats = files } : options;
        }
    }
}
