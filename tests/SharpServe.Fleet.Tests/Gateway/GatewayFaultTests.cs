using System.Net;
using System.Text;
using static SharpServe.Fleet.Tests.Gateway.GatewayFixture;

namespace SharpServe.Fleet.Tests.Gateway;

public class GatewayFaultTests
{
    // Probes only at start: what these tests see is the passive detection and the retry, not a probe.

    [Fact]
    public async Task A_dead_upstream_fails_once_and_the_request_is_retried_on_another()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var b = await FakeUpstream.StartAsync("b", "m");
        await using var gateway = await StartHealthyAsync(NoLaterProbes with { Routing = "round-robin" }, a, b);
        using var client = new HttpClient();
        await a.DisposeAsync();

        // Round-robin's first turn is a: the connect is refused, the request goes to b.
        using var response = await ChatAsync(client, gateway, "m");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"upstream\":\"b\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("unhealthy", await HealthOfAsync(gateway, client, "a"));

        string metrics = await client.GetStringAsync(new Uri(gateway.Url, "/metrics"));
        Assert.Contains("sharpserve_gateway_retries_total{upstream=\"a\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sharpserve_gateway_requests_total{upstream=\"a\",code=\"error\"} 1", metrics, StringComparison.Ordinal);

        // Detected: every later request goes to b without trying a again.
        for (int i = 0; i < 3; i++)
        {
            using var next = await ChatAsync(client, gateway, "m");
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }

        Assert.Equal(4, b.ChatRequests);
        metrics = await client.GetStringAsync(new Uri(gateway.Url, "/metrics"));
        Assert.Contains("sharpserve_gateway_requests_total{upstream=\"a\",code=\"error\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("sharpserve_gateway_requests_total{upstream=\"b\",code=\"200\"} 4", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_reach_the_client_as_the_upstream_sends_them()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        a.Chat = FakeUpstream.ChatMode.Stream;
        await using var gateway = await StartHealthyAsync(NoLaterProbes, a);
        using var client = new HttpClient();
        using var response = await PostStreamAsync(client, gateway);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // The upstream holds its second event until the gate opens: the first must arrive before that.
        string? first = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("data: {\"upstream\":\"a\",\"n\":1}", first);
        Assert.False(a.Gate.Task.IsCompleted);
        a.Gate.SetResult();
        string rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("data: {\"n\":2}", rest, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_one_of_two_mid_stream_ends_its_streams_with_an_error_event_and_the_rest_go_on()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var b = await FakeUpstream.StartAsync("b", "m");
        a.Chat = FakeUpstream.ChatMode.StreamThenDie;
        b.Chat = FakeUpstream.ChatMode.Stream;
        await using var gateway = await StartHealthyAsync(NoLaterProbes, a, b);
        using var client = new HttpClient();

        // Least-requests spreads four concurrent streams two and two; each has its first event.
        var streams = new List<(HttpResponseMessage Response, StreamReader Reader, string First)>();
        for (int i = 0; i < 4; i++)
        {
            var response = await PostStreamAsync(client, gateway);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            streams.Add((response, reader, (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!));
        }

        Assert.Equal(2, streams.Count(s => s.First.Contains("\"a\"", StringComparison.Ordinal)));

        // a dies mid-stream (its connections cut); b finishes normally.
        a.Gate.SetResult();
        b.Gate.SetResult();
        foreach (var (response, reader, first) in streams)
        {
            string rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
            if (first.Contains("\"a\"", StringComparison.Ordinal))
            {
                Assert.Contains("data: {\"error\":{\"message\":", rest, StringComparison.Ordinal);
                Assert.Contains("\"type\":\"upstream_error\"", rest, StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains("data: {\"n\":2}", rest, StringComparison.Ordinal);
            }

            Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);
            reader.Dispose();
            response.Dispose();
        }

        // The cut streams marked a unhealthy at once; new requests all go to b.
        Assert.Equal("unhealthy", await HealthOfAsync(gateway, client, "a"));
        int onA = a.ChatRequests;
        for (int i = 0; i < 3; i++)
        {
            using var response = await ChatAsync(client, gateway, "m");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(onA, a.ChatRequests);
    }

    private static async Task<HttpResponseMessage> PostStreamAsync(HttpClient client, Fleet.Gateway.GatewayHost gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.Url, "/v1/chat/completions"))
        {
            Content = new StringContent("""{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return response;
    }
}
