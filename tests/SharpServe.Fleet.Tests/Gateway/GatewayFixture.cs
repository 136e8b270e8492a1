using System.Net.Http.Json;
using System.Text.Json;
using SharpServe.Fleet.Gateway;

namespace SharpServe.Fleet.Tests.Gateway;

/// <summary>Helpers for gateway tests: start one in front of fakes, poll a condition with a deadline, post a chat request.</summary>
internal static class GatewayFixture
{
    /// <summary>Fast probes so health changes show within a fraction of a second.</summary>
    public static GatewayOptions FastOptions => new()
    {
        Port = 0,
        HealthInterval = TimeSpan.FromMilliseconds(50),
        HealthTimeout = TimeSpan.FromMilliseconds(500),
    };

    /// <summary>
    /// One probe round at start and none after (so a test decides every later health change itself); that one probe
    /// gets a long timeout, since a missed probe would leave its upstream unhealthy for the whole test on a loaded machine.
    /// </summary>
    public static GatewayOptions NoLaterProbes => FastOptions with { HealthInterval = TimeSpan.FromHours(1), HealthTimeout = TimeSpan.FromSeconds(10) };

    public static async Task<GatewayHost> StartHealthyAsync(GatewayOptions options, params FakeUpstream[] upstreams)
    {
        var gateway = await GatewayHost.StartAsync(options, [.. upstreams.Select(upstream => upstream.Upstream)]);
        using var client = new HttpClient();
        await WaitUntilAsync(async () => await HealthyCountAsync(gateway, client) == upstreams.Length, "every upstream healthy");
        return gateway;
    }

    public static async Task<int> HealthyCountAsync(GatewayHost gateway, HttpClient client)
    {
        using var status = JsonDocument.Parse(await client.GetStringAsync(new Uri(gateway.Url, "/fleet/status")));
        return status.RootElement.GetProperty("instances").EnumerateArray().Count(instance => instance.GetProperty("health").GetString() == "healthy");
    }

    public static async Task<string> HealthOfAsync(GatewayHost gateway, HttpClient client, string id)
    {
        using var status = JsonDocument.Parse(await client.GetStringAsync(new Uri(gateway.Url, "/fleet/status")));
        return status.RootElement.GetProperty("instances").EnumerateArray().Single(instance => instance.GetProperty("id").GetString() == id).GetProperty("health").GetString()!;
    }

    /// <summary>Polls every 20 ms until the condition holds; fails the test after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {seconds} s waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }

    public static Task<HttpResponseMessage> ChatAsync(HttpClient client, GatewayHost gateway, string model, string prompt = "hello", bool stream = false) =>
        client.PostAsJsonAsync(new Uri(gateway.Url, "/v1/chat/completions"), new { model, stream, messages = new[] { new { role = "user", content = prompt } } });
}
