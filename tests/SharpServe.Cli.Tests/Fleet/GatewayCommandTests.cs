using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary><c>sharpserve gateway</c> as a child process in front of a real <c>sharpserve serve</c> (the embedded tiny model).</summary>
public sealed class GatewayCommandTests
{
    [Fact]
    public async Task Gateway_ForwardsChatAndStreamsFromARealServe_AndExitsZeroOnSigterm()
    {
        int servePort = ServeProcess.FreePort();
        using var serve = await ServeProcess.StartAsync(
            "serve", "--host", "127.0.0.1", "--port", servePort.ToString(CultureInfo.InvariantCulture), "--served-model-name", "tiny",
            "--max-model-len", "256", "--threads", "1", "--kv-cache-memory", "8MiB");
        int gatewayPort = ServeProcess.FreePort();
        using var gateway = await ServeProcess.StartAsync(
            "gateway", "--upstream", $"http://127.0.0.1:{servePort}", "--host", "127.0.0.1", "--port", gatewayPort.ToString(CultureInfo.InvariantCulture),
            "--health-interval", "0.2");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}"), Timeout = TimeSpan.FromMinutes(1) };

        // The model names come from serve's /v1/models once its first probe succeeds.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await http.GetAsync("/health", deadline.Token)).StatusCode != HttpStatusCode.OK)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
        }

        var chat = new { model = "tiny", max_tokens = 8, temperature = 0, messages = new[] { new { role = "user", content = "Hello" } } };
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", chat);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using (var json = JsonDocument.Parse(body))
        {
            JsonElement message = json.RootElement.GetProperty("choices")[0].GetProperty("message");
            Assert.Equal(JsonValueKind.String, message.GetProperty("content").ValueKind);
            Assert.True(json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0, body);
        }

        using var streamed = await http.PostAsJsonAsync("/v1/chat/completions", new { chat.model, chat.max_tokens, chat.temperature, chat.messages, stream = true });
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        string events = await streamed.Content.ReadAsStringAsync();
        Assert.Contains("\"chat.completion.chunk\"", events, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", events, StringComparison.Ordinal);

        using var unknown = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "other", chat.messages });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        gateway.Terminate();
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Gateway_WithABadUpstreamUrl_ExitsOneWithTheReason()
    {
        var result = CliRunner.Run("gateway", "--upstream", "not-a-url", "--port", "0");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("expected an http(s) URL", result.Stderr, StringComparison.Ordinal);
    }
}
