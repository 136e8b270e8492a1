using System.Net.Http.Headers;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Tests.TestSupport;
using SharpServe.Engine.Memory;
using SharpServe.Server.Hosting;
using SharpServe.Server.Metrics;

namespace SharpServe.Server.Tests.TestSupport;

/// <summary>
/// The real server on Kestrel at 127.0.0.1 on a free port, over the tiny random model (with the shared
/// tokenizer and the distill chat template), and an HttpClient that sends the API key.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string ApiKey = "test-key";
    public const string ModelName = "tiny";
    public const string ModelAlias = "tiny-alias";
    public const int MaxModelLen = 512;
    public const int KvBlocks = 128;

    private readonly LoadedModel _model;
    private readonly ServedModelSlot _slot;
    private readonly ServedModel _served;
    private readonly SharpServeServer _server;

    private TestServer(LoadedModel model, LlmEngine engine, ServedModelSlot slot, ServedModel served, SharpServeServer server)
    {
        _model = model;
        Engine = engine;
        _slot = slot;
        _served = served;
        _server = server;
        Client = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromMinutes(1) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public LlmEngine Engine { get; }

    /// <summary>The model behind the server, for what /metrics reports about its weights.</summary>
    public LoadedModel Model => _model;

    public Uri Url => _server.Url;

    /// <summary>Sends the right API key on every request.</summary>
    public HttpClient Client { get; }

    public Engine.Tokenization.Qwen2Tokenizer Tokenizer => _model.Tokenizer!;

    /// <summary>The official OpenAI SDK pointed at this server's /v1 with the right key.</summary>
    public OpenAI.OpenAIClient OpenAiClient() => new(
        new System.ClientModel.ApiKeyCredential(ApiKey),
        new OpenAI.OpenAIClientOptions { Endpoint = new Uri(Url, "v1"), NetworkTimeout = TimeSpan.FromMinutes(1) });

    /// <param name="options">Server settings beyond the address and key, which are always 127.0.0.1:0 and <see cref="ApiKey"/>.</param>
    /// <param name="sink">Replaces the metrics sink (e.g. one that hangs the engine); then the latency histograms stay empty.</param>
    /// <param name="loading">Leaves the model out of the server, as while it loads, until <see cref="FinishLoading"/>.</param>
    public static async Task<TestServer> StartAsync(int maxNumSeqs = 8, int maxQueue = 16, ServerOptions? options = null, IEngineMetricsSink? sink = null, int maxNumBatchedTokens = 256, bool loading = false)
    {
        var model = LoadedModel.Open(TestModels.TinyHf(TensorDType.F32), threads: 1);
        var metrics = new ServerMetrics(ModelName);
        var config = new SchedulerConfig(maxNumBatchedTokens, maxNumSeqs, MaxModelLen, maxQueue);
        var engine = new LlmEngine(model, config, KvBlocks, KvCacheDType.Float32, enablePrefixCaching: true, sink ?? metrics.Requests);
        var served = new ServedModel(model, engine, [ModelName, ModelAlias], MaxModelLen);
        var slot = new ServedModelSlot(metrics);
        var server = await SharpServeServer.StartAsync(slot, (options ?? new ServerOptions()) with { Host = "127.0.0.1", Port = 0, ApiKey = ApiKey });
        var test = new TestServer(model, engine, slot, served, server);
        if (!loading)
        {
            test.FinishLoading();
        }

        return test;
    }

    /// <summary>Hands the model to the server, as <c>sharpserve serve</c> does once loading is done.</summary>
    public void FinishLoading() => _slot.Fill(_served);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _server.DisposeAsync();
        Engine.Dispose();
        _model.Dispose();
    }
}
