using System.Runtime.InteropServices;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Models;

/// <summary>
/// The decode loop reuses its buffers: after warm-up a step allocates nothing, on any thread
/// (the worker pool's included). Runs alone so other tests' allocations don't count.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class DecodeAllocationTests
{
    [Theory]
    [InlineData(TensorDType.F32)]
    [InlineData(TensorDType.Q8_0)]
    [InlineData(TensorDType.Q4_0)]
    public void DecodeSteps_AllocateNothing(TensorDType type)
    {
        using var model = LoadedModel.Open(TestModels.TinyGguf(type), threads: 2);
        var runner = EngineHarness.NewRunner(model, 256);
        var sequence = new SequenceState();
        var logits = new float[model.Config.VocabSize];
        runner.Step([new BatchEntry(sequence, EngineHarness.RandomPrompt(16, seed: 3))], allPositions: false, logits);
        var next = new int[1];
        BatchEntry[] step = [new BatchEntry(sequence, next)];
        for (int i = 0; i < 8; i++)
        {
            next[0] = SharpServe.Engine.Sampling.Greedy.ArgMax(logits);
            runner.Step(step, allPositions: false, logits); // warm-up: buffers grow to their steady size
        }

        // Three windows of 32 steps; the quietest must allocate nothing.
        long allocated = SteadyAllocations.Of(() =>
        {
            for (int i = 0; i < 32; i++)
            {
                next[0] = SharpServe.Engine.Sampling.Greedy.ArgMax(logits);
                runner.Step(step, allPositions: false, logits);
            }
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SampledDecodeSteps_WithPenaltiesAndLogprobs_AllocateNothing()
    {
        using var model = LoadedModel.Open(TestModels.TinyGguf(TensorDType.Q8_0), threads: 2);
        var runner = EngineHarness.NewRunner(model, 256);
        var sequence = new SequenceState();
        int[] prompt = EngineHarness.RandomPrompt(16, seed: 3);
        var parameters = new SamplingParams(temperature: 0.8f, topP: 0.9f, topK: 40, repetitionPenalty: 1.1f, logprobs: 3, seed: 5, maxTokens: null);
        var sampler = new RequestSampler(parameters, model.Config.VocabSize, []);
        var output = new List<int>(256);
        var next = new int[1];
        BatchEntry[] step = [new BatchEntry(sequence, next)];
        SamplingRow[] draws = [sampler.Prepare(0, prompt, [])];
        runner.StepAndSample([new BatchEntry(sequence, prompt)], draws);
        void Decode(int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                next[0] = sampler.Result.TokenId;
                output.Add(next[0]);
                sampler.Prepare(0, prompt, CollectionsMarshal.AsSpan(output));
                runner.StepAndSample(step, draws);
            }
        }

        Decode(8); // warm-up: buffers grow to their steady size
        Assert.Equal(0, SteadyAllocations.Of(() => Decode(32)));
    }
}
