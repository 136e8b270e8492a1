using System.Text;
using Microsoft.AspNetCore.Http;
using SharpServe.Fleet.Gateway;

namespace SharpServe.Fleet.Tests.Gateway;

/// <summary>The gateway's /metrics text: the supervisor's per-instance series are read at each scrape, and the process collectors are there.</summary>
public class GatewayMetricsTests
{
    private sealed class FakeProcesses : IInstanceProcesses
    {
        public IReadOnlyList<InstanceProcessStatus> Statuses { get; set; } = [];

        public IReadOnlyList<InstanceProcessStatus> Snapshot() => Statuses;
    }

    private static readonly UpstreamState[] Upstreams =
    [
        new(new Upstream("instance-8001", new Uri("http://127.0.0.1:8001/"), ["m"])),
        new(new Upstream("instance-8002", new Uri("http://127.0.0.1:8002/"), ["m"])),
    ];

    [Fact]
    public async Task Restarts_and_pss_follow_the_supervisor_snapshot_at_each_scrape()
    {
        var processes = new FakeProcesses
        {
            Statuses =
            [
                new InstanceProcessStatus("instance-8001", 4242, 8001, "ready", 2, "signal 9", 123456789),
                new InstanceProcessStatus("instance-8002", 4343, 8002, "ready", 0, null, 987654321),
            ],
        };
        var metrics = new GatewayMetrics(Upstreams, processes);

        string first = await ScrapeAsync(metrics);

        Assert.Contains("# TYPE sharpserve_fleet_instance_restarts_total counter", first, StringComparison.Ordinal);
        Assert.Contains("# TYPE sharpserve_fleet_instance_pss_bytes gauge", first, StringComparison.Ordinal);
        Assert.Contains("sharpserve_fleet_instance_restarts_total{upstream=\"instance-8001\"} 2\n", first, StringComparison.Ordinal);
        Assert.Contains("sharpserve_fleet_instance_restarts_total{upstream=\"instance-8002\"} 0\n", first, StringComparison.Ordinal);
        Assert.Contains("sharpserve_fleet_instance_pss_bytes{upstream=\"instance-8001\"} 123456789\n", first, StringComparison.Ordinal);
        Assert.Contains("sharpserve_fleet_instance_pss_bytes{upstream=\"instance-8002\"} 987654321\n", first, StringComparison.Ordinal);

        // instance-8001 crashed again and waits out its backoff: one more restart, and no process to measure.
        processes.Statuses =
        [
            new InstanceProcessStatus("instance-8001", null, 8001, "restarting", 3, "signal 9", null),
            new InstanceProcessStatus("instance-8002", 4343, 8002, "ready", 0, null, 987654322),
        ];
        string second = await ScrapeAsync(metrics);

        Assert.Contains("sharpserve_fleet_instance_restarts_total{upstream=\"instance-8001\"} 3\n", second, StringComparison.Ordinal);
        Assert.DoesNotContain("sharpserve_fleet_instance_pss_bytes{upstream=\"instance-8001\"}", second, StringComparison.Ordinal);
        Assert.Contains("sharpserve_fleet_instance_pss_bytes{upstream=\"instance-8002\"} 987654322\n", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_supervisor_there_are_no_fleet_series()
    {
        string text = await ScrapeAsync(new GatewayMetrics(Upstreams));

        Assert.DoesNotContain("sharpserve_fleet_", text, StringComparison.Ordinal);
        Assert.Contains("sharpserve_gateway_upstream_healthy{upstream=\"instance-8002\"} 0\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("# TYPE process_cpu_seconds_total counter")]
    [InlineData("# TYPE process_working_set_bytes gauge")]
    [InlineData("# TYPE process_start_time_seconds gauge")]
    public async Task The_gateway_process_is_described(string typeLine)
    {
        string text = await ScrapeAsync(new GatewayMetrics(Upstreams));

        Assert.Contains(typeLine, text, StringComparison.Ordinal);
    }

    private static async Task<string> ScrapeAsync(GatewayMetrics metrics)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        await metrics.WriteAsync(context.Response);
        return Encoding.UTF8.GetString(body.ToArray());
    }
}
