using System.Net;
using System.Text.Json;
using SharpServe.Fleet.Gateway;
using static SharpServe.Fleet.Tests.Gateway.GatewayFixture;

namespace SharpServe.Fleet.Tests.Gateway;

public class GatewayRoutingTests
{
    [Fact]
    public async Task Routes_by_model_lists_the_union_and_answers_unknown_models_404()
    {
        await using var a = await FakeUpstream.StartAsync("a", "model-a");
        await using var b = await FakeUpstream.StartAsync("b", "model-b", "shared");
        await using var gateway = await StartHealthyAsync(FastOptions, a, b);
        using var client = new HttpClient();

        for (int i = 0; i < 3; i++)
        {
            using var response = await ChatAsync(client, gateway, "model-b");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"upstream\":\"b\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(0, a.ChatRequests);
        Assert.Equal(3, b.ChatRequests);

        using var unknown = await ChatAsync(client, gateway, "nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var error = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        string message = error.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("The model `nope` does not exist.", message, StringComparison.Ordinal);
        Assert.Contains("model-a, model-b, shared", message, StringComparison.Ordinal);

        using var models = JsonDocument.Parse(await client.GetStringAsync(new Uri(gateway.Url, "/v1/models")));
        Assert.Equal(["model-a", "model-b", "shared"], models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Model_names_come_from_the_upstreams_v1_models_when_not_given()
    {
        await using var a = await FakeUpstream.StartAsync("a", "discovered");
        await using var gateway = await GatewayHost.StartAsync(FastOptions, [new Upstream("a", a.Address, [])]);
        using var client = new HttpClient();
        await WaitUntilAsync(async () => await HealthyCountAsync(gateway, client) == 1, "a healthy");
        using var response = await ChatAsync(client, gateway, "discovered");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Least_requests_sends_the_next_request_to_the_idle_instance()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var b = await FakeUpstream.StartAsync("b", "m");
        a.Chat = FakeUpstream.ChatMode.Hold;
        b.Chat = FakeUpstream.ChatMode.Hold;
        await using var gateway = await StartHealthyAsync(FastOptions, a, b);
        using var client = new HttpClient();

        // Ties go to the first listed, so the first held request sits on a; the next must go to b.
        Task<HttpResponseMessage> first = ChatAsync(client, gateway, "m");
        await WaitUntilAsync(() => Task.FromResult(a.ChatRequests == 1), "first request on a");
        Task<HttpResponseMessage> second = ChatAsync(client, gateway, "m");
        await WaitUntilAsync(() => Task.FromResult(b.ChatRequests == 1), "second request on b");
        Assert.Equal(1, a.ChatRequests);
        a.Gate.SetResult();
        b.Gate.SetResult();
        using var r1 = await first.WaitAsync(TimeSpan.FromSeconds(10));
        using var r2 = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, r1.StatusCode);
        Assert.Equal(HttpStatusCode.OK, r2.StatusCode);
    }

    [Fact]
    public async Task No_healthy_upstream_is_503_with_retry_after_and_the_gateway_health_503()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        a.Health = FakeUpstream.HealthMode.Fail;
        await using var gateway = await GatewayHost.StartAsync(FastOptions, [a.Upstream]);
        using var client = new HttpClient();

        // Unknown (never probed healthy) is not routable.
        using var response = await ChatAsync(client, gateway, "m");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var health = await client.GetAsync(new Uri(gateway.Url, "/health"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(0, a.ChatRequests);

        a.Health = FakeUpstream.HealthMode.Ok;
        await WaitUntilAsync(async () => (await client.GetAsync(new Uri(gateway.Url, "/health"))).StatusCode == HttpStatusCode.OK, "gateway healthy");
    }

    [Fact]
    public async Task Upstream_429_passes_through_with_its_retry_after()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        a.Chat = FakeUpstream.ChatMode.TooMany;
        await using var gateway = await StartHealthyAsync(FastOptions, a);
        using var client = new HttpClient();
        using var response = await ChatAsync(client, gateway, "m");
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Equal(1, a.ChatRequests);
    }

    [Fact]
    public async Task Oversized_body_is_413()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var gateway = await StartHealthyAsync(FastOptions with { MaxRequestBodyBytes = 1000 }, a);
        using var client = new HttpClient();
        using var response = await ChatAsync(client, gateway, "m", new string('x', 2000));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, a.ChatRequests);
    }
}
