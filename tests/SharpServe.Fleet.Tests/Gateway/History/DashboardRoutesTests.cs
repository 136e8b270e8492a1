using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SharpServe.Fleet.Gateway;
using static SharpServe.Fleet.Tests.Gateway.GatewayFixture;

namespace SharpServe.Fleet.Tests.Gateway.History;

public class DashboardRoutesTests
{
    [Fact]
    public async Task Dashboard_is_open_history_is_guarded_and_records_requests_through_the_gateway()
    {
        await using var a = await FakeUpstream.StartAsync("instance-1", "m");
        await using var gateway = await GatewayHost.StartAsync(FastOptions with { ApiKeys = ["sk-1"], HistoryInterval = TimeSpan.FromMilliseconds(100) }, [a.Upstream]);
        using var client = new HttpClient();

        using HttpResponseMessage page = await client.GetAsync(new Uri(gateway.Url, "/dashboard"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"tokens-per-s\"", html, StringComparison.Ordinal);
        Assert.Contains("/fleet/history", html, StringComparison.Ordinal);

        using HttpResponseMessage unauthorized = await client.GetAsync(new Uri(gateway.Url, "/fleet/history"));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-1");
        await WaitUntilAsync(async () => await HealthyCountAsync(gateway, client) == 1, "the instance healthy");
        using HttpResponseMessage chat = await ChatAsync(client, gateway, "m");
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);

        JsonElement? withRequest = null;
        await WaitUntilAsync(async () =>
        {
            using var history = JsonDocument.Parse(await client.GetStringAsync(new Uri(gateway.Url, "/fleet/history")));
            withRequest = history.RootElement.GetProperty("samples").EnumerateArray()
                .Where(sample => sample.GetProperty("fleet").GetProperty("requests").GetInt64() == 1).Select(sample => (JsonElement?)sample.Clone()).FirstOrDefault();
            return withRequest is not null;
        }, "a sample counting the chat request");

        JsonElement instance = withRequest!.Value.GetProperty("instances")[0];
        Assert.Equal("instance-1", instance.GetProperty("id").GetString());
        Assert.Equal(1, instance.GetProperty("requests").GetInt64());
        Assert.True(instance.GetProperty("latency_p50_ms").GetDouble() > 0);

        // The instance's load comes from scraping its /metrics, which a loaded machine can miss in one sample (it is
        // then null there), so any sample with it will do.
        await WaitUntilAsync(async () =>
        {
            using var history = JsonDocument.Parse(await client.GetStringAsync(new Uri(gateway.Url, "/fleet/history")));
            return history.RootElement.GetProperty("samples").EnumerateArray()
                .Select(sample => sample.GetProperty("instances")[0])
                .Any(load => load.GetProperty("running").ValueKind == JsonValueKind.Number && load.GetProperty("running").GetDouble() == 3
                    && load.GetProperty("kv_cache_usage").GetDouble() == 0.25);
        }, "a sample with the instance's scraped load");
    }
}
