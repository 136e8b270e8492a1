using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// Sends one benchmark request to an OpenAI-compatible server (/v1/completions or /v1/chat/completions)
/// as a stream with usage, and times the server-sent events as they arrive.
/// </summary>
public sealed class OpenAiStreamClient
{
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly bool _chat;
    private readonly string _model;
    private readonly string? _apiKey;
    private readonly bool _ignoreEos;

    public OpenAiStreamClient(HttpClient http, string baseUrl, string endpoint, string model, string? apiKey, bool ignoreEos)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        _http = http;
        _url = EndpointUrl(baseUrl, endpoint);
        _chat = endpoint.TrimEnd('/').EndsWith("/chat/completions", StringComparison.Ordinal);
        _model = model;
        _apiKey = apiKey;
        _ignoreEos = ignoreEos;
    }

    /// <summary>The id of the first model the server lists at GET /v1/models, vLLM's default for --model.</summary>
    public static async Task<string> FirstModelAsync(HttpClient http, string baseUrl, string? apiKey, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(http);
        Uri url = EndpointUrl(baseUrl, "/v1/models");
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            Authorize(request, apiKey);
            using HttpResponseMessage response = await http.SendAsync(request, cancellation).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {Shorten(body)}; pass --model");
            }

            return JsonNode.Parse(body)?["data"]?[0]?["id"]?.GetValue<string>()
                ?? throw new InvalidOperationException($"GET {url} listed no models; pass --model");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException)
        {
            throw new InvalidOperationException($"could not list the models at {url}: {e.Message}", e);
        }
    }

    /// <summary>Sends <paramref name="prompt"/> and times its stream; any failure is a failed result, never an exception.</summary>
    public async Task<ServeRequestResult> SendAsync(BenchPrompt prompt, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        long sent = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new StringContent(Body(prompt), Encoding.UTF8, "application/json") };
            Authorize(request, _apiKey);
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                string body = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
                return ServeRequestResult.Failed($"HTTP {(int)response.StatusCode}: {Shorten(body)}", Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false));
            return await ReadStreamAsync(reader, sent, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or InvalidOperationException
                                   || (e is TaskCanceledException && !cancellation.IsCancellationRequested))
        {
            return ServeRequestResult.Failed(e.Message, Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
        }
    }

    private static async Task<ServeRequestResult> ReadStreamAsync(StreamReader reader, long sent, CancellationToken cancellation)
    {
        double ttft = double.NaN;
        long previous = 0;
        var itl = new List<double>();
        int textChunks = 0;
        int? promptTokens = null;
        int? completionTokens = null;
        while (await reader.ReadLineAsync(cancellation).ConfigureAwait(false) is { } line)
        {
            long now = Stopwatch.GetTimestamp();
            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue; // blank separators, comments and event names carry no tokens
            }

            string data = line[5..].Trim();
            if (data == "[DONE]")
            {
                break;
            }

            JsonNode? chunk = JsonNode.Parse(data);
            if (chunk?["error"] is { } error)
            {
                return ServeRequestResult.Failed($"the stream reported an error: {Shorten(error.ToJsonString())}", Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }

            if (chunk?["usage"] is JsonObject usage)
            {
                promptTokens = usage["prompt_tokens"]?.GetValue<int>() ?? promptTokens;
                completionTokens = usage["completion_tokens"]?.GetValue<int>() ?? completionTokens;
            }

            if (!HasText(chunk))
            {
                continue;
            }

            if (textChunks == 0)
            {
                ttft = Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds;
            }
            else
            {
                itl.Add(Stopwatch.GetElapsedTime(previous, now).TotalMilliseconds);
            }

            previous = now;
            textChunks++;
        }

        double e2e = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        // A stream without any text has no TTFT; counting it as a success would put NaN into every latency.
        return textChunks == 0
            ? ServeRequestResult.Failed("the stream carried no text", e2e)
            : new ServeRequestResult(true, null, promptTokens ?? 0, completionTokens ?? textChunks, ttft, e2e, itl);
    }

    private static bool HasText(JsonNode? chunk)
    {
        if (chunk?["choices"] is not JsonArray choices)
        {
            return false;
        }

        foreach (JsonNode? choice in choices)
        {
            JsonNode? text = choice?["text"] ?? choice?["delta"]?["content"] ?? choice?["delta"]?["reasoning_content"];
            if (text is JsonValue value && value.TryGetValue(out string? s) && s.Length > 0)
            {
                return true;
            }
        }

        return false;
    }

    private string Body(BenchPrompt prompt)
    {
        var body = new JsonObject
        {
            ["model"] = _model,
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
            ["temperature"] = 0,
        };
        if (_chat)
        {
            body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt.Text });
            body["max_completion_tokens"] = prompt.OutputTokens;
        }
        else
        {
            body["prompt"] = prompt.Text;
            body["max_tokens"] = prompt.OutputTokens;
        }

        if (_ignoreEos)
        {
            body["ignore_eos"] = true; // vLLM's extra sampling parameter; llama.cpp's server reads it too
        }

        return body.ToJsonString();
    }

    private static void Authorize(HttpRequestMessage request, string? apiKey)
    {
        if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    private static Uri EndpointUrl(string baseUrl, string endpoint) =>
        Uri.TryCreate(baseUrl.TrimEnd('/') + "/" + endpoint.TrimStart('/'), UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https"
            ? url
            : throw new ArgumentException($"--base-url: '{baseUrl}' is not an http(s) URL");

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
