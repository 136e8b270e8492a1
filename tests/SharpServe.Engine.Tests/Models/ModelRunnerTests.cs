using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Models;

/// <summary>Bad steps fail with a clear exception and leave the runner usable.</summary>
public sealed class ModelRunnerTests
{
    [Fact]
    public void TokenOutsideTheVocabulary_IsRefused_AndTheSequenceIsUnchanged()
    {
        using var model = LoadedModel.Open(TestModels.TinyGguf(TensorDType.F32), threads: 1);
        var runner = EngineHarness.NewRunner(model, 32);
        var sequence = new SequenceState();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => runner.Step([new BatchEntry(sequence, [1, model.Config.VocabSize])], allPositions: false));
        Assert.Contains("outside the vocabulary", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, sequence.CachedTokens);

        float[] logits = runner.Step([new BatchEntry(sequence, [1, 2])], allPositions: false);
        Assert.Equal(model.Config.VocabSize, logits.Length);
        Assert.Equal(2, sequence.CachedTokens);
    }

    [Fact]
    public void FullCache_IsAClearError_AndReleasingMakesRoom()
    {
        using var model = LoadedModel.Open(TestModels.TinyGguf(TensorDType.F32), threads: 1);
        var runner = new ModelRunner(model.Model, new KvCachePool(model.Config, blocks: 2));
        var first = new SequenceState();
        runner.Step([new BatchEntry(first, EngineHarness.RandomPrompt(20, seed: 1))], allPositions: false);

        var second = new SequenceState();
        var error = Assert.Throws<InvalidOperationException>(() => runner.Step([new BatchEntry(second, EngineHarness.RandomPrompt(20, seed: 2))], allPositions: false));
        Assert.Contains("KV cache is full", error.Message, StringComparison.Ordinal);

        runner.Release(first);
        runner.Release(second);
        runner.Step([new BatchEntry(second, EngineHarness.RandomPrompt(20, seed: 2))], allPositions: false);
        Assert.Equal(20, second.CachedTokens);
    }

    [Fact]
    public void ContextBeyondTheModelsPositions_IsRefused()
    {
        using var model = LoadedModel.Open(TestModels.TinyGguf(TensorDType.F32), threads: 1);
        var runner = EngineHarness.NewRunner(model, 16);
        var tooLong = new int[model.Config.MaxPositionEmbeddings + 1];
        Assert.Throws<ArgumentException>(() => runner.Step([new BatchEntry(new SequenceState(), tooLong)], allPositions: false));
    }
}
