using System.Diagnostics;
using System.Globalization;
using System.Net;
using SharpServe.Fleet.Supervision;
using Xunit.Abstractions;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// Issue 6's fault tests: a real <c>sharpserve fleet</c> of two tiny-model instances on 127.0.0.1, hurt while it
/// serves (an instance SIGKILLed under streaming load, one frozen with SIGSTOP, both overloaded).
/// </summary>
public sealed class FleetFaultTests(ITestOutputHelper output) : IDisposable
{
    private const int SigCont = 18;
    private const int SigStop = 19;

    /// <summary>Every client request's bound: a request open this long counts as hung.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-fleet-faults-").FullName;
    private readonly int _gatewayPort = ServeProcess.FreePort();
    private readonly int _portA = ServeProcess.FreePort();
    private readonly int _portB = ServeProcess.FreePort();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public Task KillMinus9UnderStreamingLoad_NoRequestHangsOrIsLost_AndTheInstanceRejoins() => WithFleetAsync([], async client =>
    {
        const int Loops = 8;
        int victim = (await client.InstanceAsync(_portA)).Pid!.Value;

        // 128 tokens stream for about a second with 8 in flight on 2 cores, so the kill cuts streams on A.
        using var load = new StreamLoad(client, Loops, maxTokens: 128, RequestTimeout);
        var clock = Stopwatch.StartNew();
        await client.WaitForAsync(_portA, a => clock.Elapsed > TimeSpan.FromSeconds(2) && a.InFlight > 0, TimeSpan.FromSeconds(60), "serving streams");
        Assert.True(ParentDeath.Signal(victim, FleetProcess.SigKill), $"could not SIGKILL instance A (pid {victim})");

        // Out of rotation: from the first sample showing A unhealthy until A, restarted, is healthy again.
        InstanceSample firstOut = await client.WaitForAsync(_portA, a => a.Health == "unhealthy", TimeSpan.FromSeconds(30), "out of rotation after kill -9");
        var whileOut = new List<InstanceSample> { firstOut };
        InstanceSample rejoined = await client.WaitForAsync(
            _portA,
            a =>
            {
                if (a.Health != "healthy")
                {
                    whileOut.Add(a);
                }

                return a.Pid is { } pid && pid != victim && a.Health == "healthy";
            },
            TimeSpan.FromSeconds(60),
            "restarted and healthy again");

        // A few seconds more, until A has taken a round of new streams.
        await client.WaitForAsync(_portA, a => a.Requests >= rejoined.Requests + Loops, TimeSpan.FromSeconds(30), "receiving traffic again");
        LoadCounts counts = await load.StopAsync(RequestTimeout + TimeSpan.FromSeconds(10));
        long retried = await client.RetriesAsync();
        InstanceSample final = await client.InstanceAsync(_portA);

        string report = $"{counts.Describe(retried)}; A's requests {firstOut.Requests} when out of rotation, "
            + $"{string.Join("/", whileOut.Select(s => s.Requests).Distinct())} while out ({whileOut.Count} samples), {rejoined.Requests} at rejoin, {final.Requests} at the end; restarts {final.Restarts}";
        output.WriteLine(report);
        Assert.True(counts.Hung == 0, report);
        Assert.True(counts.FailedOther == 0, report);
        Assert.True(counts.FailedWithErrorEvent <= Loops, report);
        Assert.True(counts.Succeeded + counts.FailedWithErrorEvent == counts.Sent, report);
        Assert.True(whileOut.All(s => s.Requests == firstOut.Requests), $"requests were routed to A while it was out of rotation: {report}");
        Assert.True(final.Requests > rejoined.Requests, report);
        Assert.True(final.Restarts >= 1, report);
    });

    [Fact]
    public Task AFrozenInstance_WithItsPortStillOpen_IsTakenOutOfRotation_AndRejoinsWhenThawed() => WithFleetAsync([], async client =>
    {
        const int Requests = 6;
        int frozen = (await client.InstanceAsync(_portA)).Pid!.Value;

        // SIGSTOP: the process runs nothing, yet the kernel still completes TCP handshakes on its listening port.
        Assert.True(ParentDeath.Signal(frozen, SigStop), $"could not SIGSTOP instance A (pid {frozen})");
        try
        {
            // Two failed probes, each up to 1 s apart plus its 1 s timeout, with slack for a loaded machine.
            var clock = Stopwatch.StartNew();
            InstanceSample a = await client.WaitForAsync(_portA, s => s.Health == "unhealthy", TimeSpan.FromSeconds(8), "unhealthy while frozen");
            output.WriteLine($"A unhealthy {clock.Elapsed.TotalSeconds:0.0} s after SIGSTOP");
            long bBefore = (await client.InstanceAsync(_portB)).Requests;

            for (int i = 0; i < Requests; i++)
            {
                using var response = await client.ChatAsync(maxTokens: 8, RequestTimeout);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"request {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            Assert.Equal(a.Requests, (await client.InstanceAsync(_portA)).Requests);
            Assert.Equal(bBefore + Requests, (await client.InstanceAsync(_portB)).Requests);
        }
        finally
        {
            ParentDeath.Signal(frozen, SigCont);
        }

        InstanceSample thawed = await client.WaitForAsync(_portA, s => s.Health == "healthy", TimeSpan.FromSeconds(10), "healthy again after SIGCONT");
        Assert.Equal(frozen, thawed.Pid);
    });

    [Fact]
    public Task OverloadBeyondEveryQueue_IsRefusedWith429Or503AndRetryAfter_NotTimeouts() => WithFleetAsync(["--max-num-seqs", "1", "--max-queue", "1"], async client =>
    {
        // Each instance runs 1 sequence and queues 1 more: 4 places for 16 requests of 200 tokens (most of a second each).
        const int Concurrent = 16;

        var answers = await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(async _ =>
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.ChatAsync(maxTokens: 200, TimeSpan.FromSeconds(60));
            return (response.StatusCode, RetryAfter: response.Headers.RetryAfter?.ToString(), Body: await response.Content.ReadAsStringAsync(), clock.Elapsed);
        }));

        string report = string.Join("; ", answers.Select(r => $"{(int)r.StatusCode} in {r.Elapsed.TotalSeconds:0.00} s (Retry-After {r.RetryAfter ?? "none"})"));
        output.WriteLine(report);
        var refused = answers.Where(r => r.StatusCode != HttpStatusCode.OK).ToList();
        Assert.All(refused, r => Assert.True(
            r.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && r.RetryAfter is not null,
            $"a refusal must be 429 or 503 with Retry-After, got {(int)r.StatusCode} {r.Body}; all: {report}"));
        Assert.True(refused.Count >= 1, $"nothing was refused: {report}");
        Assert.True(refused.Count < Concurrent, $"nothing succeeded: {report}");
    });

    /// <summary>
    /// Runs <paramref name="test"/> against a fleet of two tiny-model instances once the gateway routes to both;
    /// when it fails, the fleet's own output goes to the test output to show why. The fleet is killed either way.
    /// </summary>
    private async Task WithFleetAsync(string[] extraFlags, Func<FleetClient, Task> test)
    {
        using var fleet = new FleetProcess(
        [
            "--instances", "2", "--host", "127.0.0.1", "--port", Text(_gatewayPort),
            "--instance-port", Text(_portA), "--instance-port", Text(_portB), "--log-dir", Path.Combine(_folder, "logs"),
            "--memory-ceiling", "0.04", "--max-model-len", "256", "--max-num-batched-tokens", "64", .. extraFlags,
        ]);
        using var client = new FleetClient(_gatewayPort);
        try
        {
            await fleet.WaitForReadyAsync(2);
            foreach (int port in new[] { _portA, _portB })
            {
                await client.WaitForAsync(port, s => s.Health == "healthy", TimeSpan.FromSeconds(30), "healthy at the gateway");
            }

            await test(client);
        }
        catch
        {
            output.WriteLine(fleet.Output);
            throw;
        }
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
