using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Tests.TestSupport;
using System.Threading.Channels;

namespace SharpServe.Engine.Tests.Scheduling;

/// <summary>The tiny random model, loaded once per test class, and helpers to drive an engine over it.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public LoadedModel Model { get; } = LoadedModel.Open(TestModels.TinyGguf(TensorDType.F32), threads: 2);

    public LlmEngine NewEngine(int maxNumBatchedTokens = 64, int maxNumSeqs = 16, int maxModelLen = 512, int maxQueue = 64, int kvBlocks = 256) =>
        new(Model, new SchedulerConfig(maxNumBatchedTokens, maxNumSeqs, maxModelLen, maxQueue), kvBlocks);

    /// <summary>Every output until the reader completes, failing the test instead of hanging.</summary>
    public static async Task<List<RequestOutput>> Collect(ChannelReader<RequestOutput> reader)
    {
        var outputs = new List<RequestOutput>();
        await foreach (RequestOutput output in reader.ReadAllAsync().WithCancellation(new CancellationTokenSource(Timeout).Token))
        {
            outputs.Add(output);
        }

        return outputs;
    }

    public static int[] Tokens(IEnumerable<RequestOutput> outputs) => [.. outputs.SelectMany(o => o.NewTokenIds)];

    public void Dispose() => Model.Dispose();
}
