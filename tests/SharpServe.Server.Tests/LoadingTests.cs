using System.Net;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>The server listens before the model is ready: until then it says so with 503s rather than refusing connections.</summary>
public sealed class LoadingTests
{
    [Fact]
    public async Task WhileLoading_HealthAndModelRoutesAnswer503_ThenServe()
    {
        await using var server = await TestServer.StartAsync(loading: true);

        var health = await server.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("loading", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/version")).StatusCode);

        var chat = await server.Client.PostJsonAsync("/v1/chat/completions", ChatRequest());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        Assert.NotNull(chat.Headers.RetryAfter);
        var error = (await chat.JsonAsync()).GetProperty("error");
        Assert.Equal("ServiceUnavailableError", error.GetProperty("type").GetString());
        Assert.Contains("loading", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Client.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/metrics")).StatusCode);

        server.FinishLoading();

        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostJsonAsync("/v1/chat/completions", ChatRequest())).StatusCode);
    }

    [Fact]
    public async Task WhileLoading_TheApiKeyIsStillChecked()
    {
        await using var server = await TestServer.StartAsync(loading: true);
        using var anonymous = new HttpClient { BaseAddress = server.Url };

        var chat = await anonymous.PostJsonAsync("/v1/chat/completions", ChatRequest());

        Assert.Equal(HttpStatusCode.Unauthorized, chat.StatusCode);
    }

    private static object ChatRequest() => new { model = TestServer.ModelName, messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 2 };
}
