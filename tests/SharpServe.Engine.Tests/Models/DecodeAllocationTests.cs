using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
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
}
