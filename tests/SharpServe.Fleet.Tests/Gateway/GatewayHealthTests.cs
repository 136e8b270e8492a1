using System.Net;
using static SharpServe.Fleet.Tests.Gateway.GatewayFixture;

namespace SharpServe.Fleet.Tests.Gateway;

public class GatewayHealthTests
{
    [Fact]
    public async Task Failing_probes_take_an_upstream_out_of_rotation_and_a_success_brings_it_back()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var b = await FakeUpstream.StartAsync("b", "m");
        await using var gateway = await StartHealthyAsync(FastOptions with { Routing = "round-robin" }, a, b);
        using var client = new HttpClient();

        a.Health = FakeUpstream.HealthMode.Fail;
        await WaitUntilAsync(async () => await HealthOfAsync(gateway, client, "a") == "unhealthy", "a unhealthy");
        int before = a.ChatRequests;
        for (int i = 0; i < 4; i++)
        {
            using var response = await ChatAsync(client, gateway, "m");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(before, a.ChatRequests);
        a.Health = FakeUpstream.HealthMode.Ok;
        await WaitUntilAsync(async () => await HealthOfAsync(gateway, client, "a") == "healthy", "a healthy again");
    }

    [Fact]
    public async Task An_upstream_that_hangs_on_health_goes_unhealthy_by_the_probe_timeout()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var b = await FakeUpstream.StartAsync("b", "m");
        await using var gateway = await StartHealthyAsync(FastOptions with { HealthTimeout = TimeSpan.FromMilliseconds(200) }, a, b);
        using var client = new HttpClient();

        a.Health = FakeUpstream.HealthMode.Hang;
        await WaitUntilAsync(async () => await HealthOfAsync(gateway, client, "a") == "unhealthy", "hanging a unhealthy");
        string status = await client.GetStringAsync(new Uri(gateway.Url, "/fleet/status"));
        Assert.Contains("no answer within 0.2 s", status, StringComparison.Ordinal);
        int before = a.ChatRequests;
        using var response = await ChatAsync(client, gateway, "m");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before, a.ChatRequests);
    }
}
