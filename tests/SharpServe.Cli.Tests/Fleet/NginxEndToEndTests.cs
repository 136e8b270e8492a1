using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// The real nginx, configured by <c>sharpserve fleet nginx-config --full</c>, in front of two real instances:
/// plain and streaming chat pass through, and a killed instance's requests move to the other one.
/// </summary>
public sealed class NginxEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PlainChat_ThroughNginx_Returns200WithContent()
    {
        using var fleet = await NginxFleet.StartAsync();
        using var client = fleet.Client();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", Chat(maxTokens: 8, stream: false));

        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()), body);
    }

    [Fact]
    public async Task StreamingChat_ThroughNginx_DeliversEventsAsGenerated_EndingWithDone()
    {
        using var fleet = await NginxFleet.StartAsync();
        for (int i = 0; i < fleet.InstancePorts.Count; i++)
        {
            // A first request on each instance directly, so start-up costs do not land in the timing below.
            using var instance = fleet.InstanceClient(i);
            (await instance.PostAsJsonAsync("/v1/chat/completions", Chat(maxTokens: 4, stream: false))).EnsureSuccessStatusCode();
        }

        using var client = fleet.Client();
        var clock = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Chat(maxTokens: 200, stream: true)) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<(string Data, TimeSpan At)>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((line, clock.Elapsed));
            }
        }

        output.WriteLine(Invariant($"{events.Count} events; first at {events[0].At.TotalMilliseconds:F0} ms, [DONE] at {events[^1].At.TotalMilliseconds:F0} ms"));
        Assert.Equal("data: [DONE]", events[^1].Data);
        Assert.True(events.Count >= 200, Invariant($"ignore_eos with max_tokens 200 gives a chunk per token, got {events.Count} events"));

        // Unbuffered: the first token reaches the client while most of the 200 are still being generated.
        Assert.True(
            events[0].At < events[^1].At / 2,
            Invariant($"the first event arrived at {events[0].At.TotalMilliseconds:F0} ms, not well before [DONE] at {events[^1].At.TotalMilliseconds:F0} ms"));
    }

    [Fact]
    public async Task KilledInstance_ItsRequestsMoveToTheOther_AllSucceed()
    {
        const int Requests = 10;
        using var fleet = await NginxFleet.StartAsync();
        using var client = fleet.Client();
        int deadPort = fleet.InstancePorts[0];

        fleet.KillInstance(0);
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < Requests; i++)
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", Chat(maxTokens: 4, stream: false));
            statuses.Add(response.StatusCode);
        }

        int succeeded = statuses.Count(status => status == HttpStatusCode.OK);
        string[] refused = fleet.ErrorLog.Split('\n')
            .Where(line => line.Contains("Connection refused", StringComparison.Ordinal) && line.Contains(Invariant($"127.0.0.1:{deadPort}"), StringComparison.Ordinal))
            .ToArray();
        output.WriteLine(Invariant($"failover: sent {Requests}, succeeded {succeeded}; nginx logged {refused.Length} refused connect(s) to the killed instance"));
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, Requests), statuses);

        // The killed instance was tried and refused: the successes came through nginx moving on, not through luck.
        Assert.NotEmpty(refused);
    }

    private static object Chat(int maxTokens, bool stream) => new Dictionary<string, object>
    {
        ["model"] = NginxFleet.ServedModelName,
        ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = "Hello!" } },
        ["max_tokens"] = maxTokens,
        ["ignore_eos"] = true,
        ["stream"] = stream,
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
