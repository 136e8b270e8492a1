using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>How one streamed chat completion through the gateway ended.</summary>
public enum StreamOutcome
{
    /// <summary>200, chunks, then <c>data: [DONE]</c> with no error event.</summary>
    Succeeded,

    /// <summary>200, then the gateway's <c>upstream_error</c> event and <c>data: [DONE]</c>: the instance died mid-stream.</summary>
    ErrorEvent,

    /// <summary>Anything else: a non-200 status, a stream cut without [DONE], a transport error.</summary>
    Other,

    /// <summary>No end within the per-request timeout.</summary>
    Hung,
}

/// <summary>One instance as GET /fleet/status reports it.</summary>
public sealed record InstanceSample(string Id, string Health, long Requests, int InFlight, int? Pid, int? Restarts);

/// <summary>A client of a running fleet's gateway on 127.0.0.1: status, metrics and chat requests, each bounded in time.</summary>
public sealed class FleetClient(int gatewayPort) : IDisposable
{
    public const string Model = "sharpserve-tiny";

    // No proxy: the tests talk to 127.0.0.1 only. No client timeout: each call brings its own.
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}"), Timeout = Timeout.InfiniteTimeSpan };

    public void Dispose() => _http.Dispose();

    public async Task<IReadOnlyList<InstanceSample>> StatusAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var response = await _http.GetAsync(new Uri("/fleet/status", UriKind.Relative), timeout.Token);
        string body = await response.Content.ReadAsStringAsync(timeout.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"GET /fleet/status answered {(int)response.StatusCode}: {body}");
        }

        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("instances").EnumerateArray().Select(i => new InstanceSample(
            i.GetProperty("id").GetString()!,
            i.GetProperty("health").GetString()!,
            i.GetProperty("requests").GetInt64(),
            i.GetProperty("in_flight").GetInt32(),
            i.GetProperty("pid").ValueKind == JsonValueKind.Number ? i.GetProperty("pid").GetInt32() : null,
            i.GetProperty("restarts").ValueKind == JsonValueKind.Number ? i.GetProperty("restarts").GetInt32() : null)).ToList();
    }

    public async Task<InstanceSample> InstanceAsync(int port) =>
        (await StatusAsync()).Single(i => i.Id == string.Create(CultureInfo.InvariantCulture, $"instance-{port}"));

    /// <summary>Polls the instance's status until <paramref name="condition"/> holds; throws with the last sample after <paramref name="timeout"/>.</summary>
    public async Task<InstanceSample> WaitForAsync(int port, Func<InstanceSample, bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            InstanceSample sample = await InstanceAsync(port);
            if (condition(sample))
            {
                return sample;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"instance-{port} was not {what} within {timeout}; last status: {sample}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>The sum of <c>sharpserve_gateway_retries_total</c> over every upstream.</summary>
    public async Task<long> RetriesAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string text = await _http.GetStringAsync(new Uri("/metrics", UriKind.Relative), timeout.Token);
        return (long)text.Split('\n')
            .Where(line => line.StartsWith("sharpserve_gateway_retries_total{", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>A non-stream chat completion of exactly <paramref name="maxTokens"/> tokens (EOS ignored).</summary>
    public async Task<HttpResponseMessage> ChatAsync(int maxTokens, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        return await _http.PostAsJsonAsync(new Uri("/v1/chat/completions", UriKind.Relative), Chat(maxTokens, stream: false), cancel.Token);
    }

    /// <summary>
    /// A streamed chat completion of <paramref name="maxTokens"/> tokens, read as SSE lines to its end.
    /// <paramref name="timeout"/> bounds the whole request: past it the request counts as hung.
    /// </summary>
    /// <returns>The outcome and, for <see cref="StreamOutcome.Other"/>, what went wrong.</returns>
    public async Task<(StreamOutcome Outcome, string? Detail)> StreamChatAsync(int maxTokens, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/chat/completions", UriKind.Relative)) { Content = JsonContent.Create(Chat(maxTokens, stream: true)) };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (StreamOutcome.Other, $"status {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel.Token)}");
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
            bool upstreamError = false;
            while (await reader.ReadLineAsync(cancel.Token) is { } line)
            {
                if (line == "data: [DONE]")
                {
                    return (upstreamError ? StreamOutcome.ErrorEvent : StreamOutcome.Succeeded, null);
                }

                if (line.StartsWith("data: {\"error\"", StringComparison.Ordinal))
                {
                    if (!line.Contains("\"upstream_error\"", StringComparison.Ordinal))
                    {
                        return (StreamOutcome.Other, $"an error event that is not the gateway's: {line}");
                    }

                    upstreamError = true;
                }
            }

            return (StreamOutcome.Other, "the stream ended without data: [DONE]");
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return (StreamOutcome.Hung, null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return (StreamOutcome.Other, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static object Chat(int maxTokens, bool stream) => new
    {
        model = Model,
        max_tokens = maxTokens,
        ignore_eos = true,
        stream,
        messages = new[] { new { role = "user", content = "Tell me a long story." } },
    };
}
