using System.Net;
using System.Text.Json;
using SharpServe.Fleet.Gateway;
using static SharpServe.Fleet.Tests.Gateway.GatewayFixture;

namespace SharpServe.Fleet.Tests.Gateway;

public class GatewayStatusTests
{
    private sealed class FakeProcesses(params InstanceProcessStatus[] statuses) : IInstanceProcesses
    {
        public IReadOnlyList<InstanceProcessStatus> Snapshot() => statuses;
    }

    [Fact]
    public async Task Fleet_status_joins_gateway_process_and_scraped_instance_state()
    {
        await using var a = await FakeUpstream.StartAsync("instance-1", "m");
        await using var b = await FakeUpstream.StartAsync("instance-2", "m");
        var processes = new FakeProcesses(
            new InstanceProcessStatus("instance-1", 4242, a.Address.Port, "ready", 2, "signal 9", 123456789),
            new InstanceProcessStatus("instance-2", null, b.Address.Port, "restarting", 3, "exit code 1", null));
        await using var gateway = await GatewayHost.StartAsync(FastOptions with { Routing = "prefix-affinity" }, [a.Upstream, b.Upstream], processes);
        using var client = new HttpClient();
        await WaitUntilAsync(async () => await HealthyCountAsync(gateway, client) == 2, "both healthy");
        b.Health = FakeUpstream.HealthMode.Fail;
        await WaitUntilAsync(async () => await HealthOfAsync(gateway, client, "instance-2") == "unhealthy", "b unhealthy");
        using var chat = await ChatAsync(client, gateway, "m");
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);

        using var status = JsonDocument.Parse(await client.GetStringAsync(new Uri(gateway.Url, "/fleet/status")));
        JsonElement root = status.RootElement;
        Assert.Equal("prefix-affinity", root.GetProperty("routing").GetString());
        JsonElement first = root.GetProperty("instances")[0];
        Assert.Equal("instance-1", first.GetProperty("id").GetString());
        Assert.Equal(a.Address.AbsoluteUri, first.GetProperty("url").GetString());
        Assert.Equal("healthy", first.GetProperty("health").GetString());
        Assert.Equal(["m"], first.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(4242, first.GetProperty("pid").GetInt32());
        Assert.Equal(a.Address.Port, first.GetProperty("port").GetInt32());
        Assert.Equal("ready", first.GetProperty("state").GetString());
        Assert.Equal(2, first.GetProperty("restarts").GetInt32());
        Assert.Equal("signal 9", first.GetProperty("last_exit").GetString());
        Assert.Equal(123456789, first.GetProperty("pss_bytes").GetInt64());
        Assert.Equal(1, first.GetProperty("requests").GetInt64());
        Assert.Equal(0, first.GetProperty("in_flight").GetInt32());
        Assert.Equal(0.25, first.GetProperty("kv_cache_usage").GetDouble());
        Assert.Equal(3, first.GetProperty("num_requests_running").GetDouble());
        Assert.Equal(1, first.GetProperty("num_requests_waiting").GetDouble());

        JsonElement second = root.GetProperty("instances")[1];
        Assert.Equal("unhealthy", second.GetProperty("health").GetString());
        Assert.Contains("503", second.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, second.GetProperty("pid").ValueKind);
        Assert.Equal("restarting", second.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Fleet_status_load_is_null_when_an_instance_is_unreachable()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var gateway = await StartHealthyAsync(NoLaterProbes, a);
        await a.DisposeAsync();
        using var client = new HttpClient();
        using var status = JsonDocument.Parse(await client.GetStringAsync(new Uri(gateway.Url, "/fleet/status")));
        JsonElement first = status.RootElement.GetProperty("instances")[0];
        Assert.Equal(JsonValueKind.Null, first.GetProperty("kv_cache_usage").ValueKind);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("pid").ValueKind);
    }

    [Fact]
    public async Task Metrics_show_requests_health_in_flight_latency_and_rejections()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var b = await FakeUpstream.StartAsync("b", "m");
        await using var gateway = await StartHealthyAsync(FastOptions, a, b);
        using var client = new HttpClient();
        b.Health = FakeUpstream.HealthMode.Fail;
        await WaitUntilAsync(async () => await HealthOfAsync(gateway, client, "b") == "unhealthy", "b unhealthy");
        for (int i = 0; i < 2; i++)
        {
            using var response = await ChatAsync(client, gateway, "m");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var unknown = await ChatAsync(client, gateway, "other");
        string metrics = await client.GetStringAsync(new Uri(gateway.Url, "/metrics"));
        Assert.Contains("sharpserve_gateway_requests_total{upstream=\"a\",code=\"200\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("sharpserve_gateway_upstream_healthy{upstream=\"a\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sharpserve_gateway_upstream_healthy{upstream=\"b\"} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("sharpserve_gateway_upstream_in_flight{upstream=\"a\"} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("sharpserve_gateway_upstream_latency_seconds_count{upstream=\"a\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("sharpserve_gateway_rejected_total{reason=\"unknown_model\"} 1", metrics, StringComparison.Ordinal);
    }
}
