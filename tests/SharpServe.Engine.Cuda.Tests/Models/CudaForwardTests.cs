using SharpServe.Engine.Creation;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Cuda.Tests.Kernels;

namespace SharpServe.Engine.Cuda.Tests.Models;

/// <summary>
/// The whole model through <see cref="CudaBackend"/> on the simulated device against the CPU backend, step by step, with the
/// same scheduler-level inputs: two sequences whose blocks are scattered over the pool, prefilled together, then a decode
/// token beside a prefill chunk, then two decode tokens. The model is the tiny preset with a 2,048-token vocabulary: the
/// CPU accelerator runs one .NET thread per GPU thread, and the real vocabulary's lm_head alone would take minutes there.
/// </summary>
[Collection(SimulatedDeviceCollection.Name)]
public sealed class CudaForwardTests(SimulatedDevice device)
{
    private const int BlockSize = 4;
    private const int Blocks = 16;

    public static TheoryData<ModelFileFormat, TensorDType, KvCacheDType, double> Cases => new()
    {
        { ModelFileFormat.Gguf, TensorDType.F32, KvCacheDType.Float32, 1e-5 },
        { ModelFileFormat.Hf, TensorDType.BF16, KvCacheDType.Float32, 1e-5 },
        { ModelFileFormat.Hf, TensorDType.F16, KvCacheDType.Float32, 1e-5 },
        { ModelFileFormat.Gguf, TensorDType.Q8_0, KvCacheDType.Float32, 1e-5 }, // int8: activations quantized alike on both
        // A 16-bit cache stores K and V rounded: where the two backends' f32 values straddle a rounding boundary, one element
        // lands a unit in the last place apart, 2^-11 (f16) or 2^-8 (bf16) of itself, and the logits move by a fraction of that.
        { ModelFileFormat.Hf, TensorDType.F16, KvCacheDType.Float16, 5e-4 },
        { ModelFileFormat.Gguf, TensorDType.F32, KvCacheDType.BFloat16, 4e-3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogitsMatchTheCpuBackend(ModelFileFormat format, TensorDType dtype, KvCacheDType kvType, double bound)
    {
        string path = SmallModels.Write(format, dtype);
        using var cpu = LoadedModel.FromCheckpoint(ModelLoader.Load(path), new CpuBackend(1));
        using var gpu = LoadedModel.FromCheckpoint(ModelLoader.Load(path), new CudaBackend(device.Accelerator, ownsAccelerator: false));
        var cpuRunner = new ModelRunner(cpu.Model, ScatteredPool(cpu, kvType));
        var gpuRunner = new ModelRunner(gpu.Model, ScatteredPool(gpu, kvType));
        var (cpuA, cpuB, gpuA, gpuB) = (new SequenceState(), new SequenceState(), new SequenceState(), new SequenceState());

        int[][][] steps =
        [
            [[11, 250, 3, 199, 42, 7], [5, 60, 77]],   // two prefills (the tiled GEMM); every position's logits
            [[91], [8, 8, 102, 13, 255]],              // a decode token beside a prefill chunk
            [[64], [30]],                              // two decode tokens (the GEMV)
        ];
        for (int s = 0; s < steps.Length; s++)
        {
            bool all = s == 0;
            var expected = cpuRunner.Step([new BatchEntry(cpuA, steps[s][0]), new BatchEntry(cpuB, steps[s][1])], all);
            var actual = gpuRunner.Step([new BatchEntry(gpuA, steps[s][0]), new BatchEntry(gpuB, steps[s][1])], all);

            double error = TestData.RelativeError(actual, expected);
            Assert.True(error < bound, $"step {s}: logits {error:E2} off the CPU backend's (bound {bound:E0})");
        }

        Assert.Equal(cpuA.Blocks.Blocks, gpuA.Blocks.Blocks);
        Assert.True(cpuA.Blocks.Blocks.Zip(cpuA.Blocks.Blocks.Skip(1)).Any(pair => pair.Second != pair.First + 1), "blocks should be scattered");
    }

    [Fact]
    public void EngineDrawsOnTheDevice_MatchTheCpuBackend()
    {
        // The engine's path: the logits stay where they are computed and only the drawn tokens come back. Three requests
        // (greedy with logprobs; top-k/top-p/penalties; min-p with a bias), two of them drawing from the same logits row.
        string path = SmallModels.Write(ModelFileFormat.Gguf, TensorDType.F32);
        using var cpu = LoadedModel.FromCheckpoint(ModelLoader.Load(path), new CpuBackend(1));
        using var gpu = LoadedModel.FromCheckpoint(ModelLoader.Load(path), new CudaBackend(device.Accelerator, ownsAccelerator: false));
        SamplingParams[] requests =
        [
            new(temperature: 0, logprobs: 3),
            new(temperature: 0.8f, topK: 20, topP: 0.9f, repetitionPenalty: 1.3f, frequencyPenalty: 0.5f, seed: 7, logprobs: 2),
            new(temperature: 1.2f, minP: 0.05f, logitBias: new Dictionary<int, float> { [17] = 4f }, seed: 9),
        ];
        var cpuDraws = Draws(cpu, requests);
        var gpuDraws = Draws(gpu, requests);
        for (int step = 0; step < cpuDraws.Count; step++)
        {
            for (int r = 0; r < requests.Length; r++)
            {
                var (expected, actual) = (cpuDraws[step][r], gpuDraws[step][r]);
                Assert.True(expected.Token == actual.Token, $"step {step}, request {r}: the CPU drew {expected.Token}, the device {actual.Token}");
                Assert.Equal(expected.Logprob, actual.Logprob, 4);
                Assert.Equal(expected.Top.Select(t => t.TokenId), actual.Top.Select(t => t.TokenId));
            }
        }
    }

    /// <summary>Four engine steps of the requests on one sequence each (requests 1 and 2 share the first sequence's row).</summary>
    private static List<(int Token, float Logprob, TokenLogprob[] Top)[]> Draws(LoadedModel model, SamplingParams[] requests)
    {
        var runner = new ModelRunner(model.Model, ScatteredPool(model, KvCacheDType.Float32));
        var samplers = requests.Select(p => new RequestSampler(p, model.Config.VocabSize, [0])).ToArray();
        int[] prompt = [11, 250, 3, 199, 42, 7];
        SequenceState[] sequences = [new(), new()];
        var outputs = new List<int>[] { [], [], [] };
        var steps = new List<(int, float, TokenLogprob[])[]>();
        BatchEntry[] entries = [new(sequences[0], prompt), new(sequences[1], prompt[..4])];
        for (int step = 0; step < 4; step++)
        {
            int[] rows = [0, 0, 1];
            var draws = samplers.Select((sampler, r) => sampler.Prepare(rows[r], prompt, outputs[r].ToArray())).ToArray();
            runner.StepAndSample(entries, draws);
            steps.Add([.. draws.Select(d => (d.Token, d.Logprob, d.Top.ToArray()))]);
            for (int r = 0; r < requests.Length; r++)
            {
                outputs[r].Add(draws[r].Token);
            }

            entries = [new(sequences[0], [draws[0].Token]), new(sequences[1], [draws[2].Token])];
        }

        return steps;
    }

    /// <summary>A pool whose free list hands blocks out in a fixed scrambled order, the same for both backends.</summary>
    private static KvCachePool ScatteredPool(LoadedModel model, KvCacheDType kvType)
    {
        var pool = new KvCachePool(model.Config, Blocks, BlockSize, kvType, model.Backend);
        var taken = new List<int>();
        while (pool.TryAllocate(out int block))
        {
            taken.Add(block);
        }

        foreach (int block in taken.OrderBy(b => (b * 7) % Blocks))
        {
            pool.Free(block);
        }

        return pool;
    }
}

/// <summary>The tiny preset's architecture with a small vocabulary, written once per run by create-model's code.</summary>
internal static class SmallModels
{
    private static readonly string Folder = Directory.CreateTempSubdirectory("sharpserve-cuda-tests-").FullName;
    private static readonly Lock Gate = new();

    public static Qwen2Config Config { get; } = ModelPresets.Tiny with { VocabSize = 256, TieWordEmbeddings = false };

    public static string Write(ModelFileFormat format, TensorDType dtype)
    {
        string path = Path.Combine(Folder, $"small-{dtype}".ToLowerInvariant() + (format == ModelFileFormat.Gguf ? ".gguf" : string.Empty));
        lock (Gate)
        {
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                RandomModelWriter.Write(new RandomModelSpec(Config, format, dtype, Seed: 3, Tokenizer: null), path);
            }
        }

        return path;
    }
}
