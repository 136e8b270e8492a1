using System.Globalization;

namespace SharpServe.Cli.Tests.Eval;

/// <summary>One `sharpserve serve` of the embedded default model on 127.0.0.1, shared by the eval tests and killed after them.</summary>
public sealed class ServeFixture : IAsyncLifetime
{
    private ServeProcess? _server;

    public string BaseUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        int port = ServeProcess.FreePort();
        _server = await ServeProcess.StartAsync("serve", "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--threads", "1", "--max-model-len", "512");
        BaseUrl = $"http://127.0.0.1:{port}/v1";
    }

    public Task DisposeAsync()
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }
}
