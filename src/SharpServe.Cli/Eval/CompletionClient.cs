using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SharpServe.Cli.Eval;

/// <summary>What a server generated for one case, with as much token detail as it reports.</summary>
/// <param name="TokenIds">vLLM's return_token_ids reply; null when the server does not know the field.</param>
/// <param name="Tokens">logprobs.tokens, one string per generated token; null when absent too.</param>
public sealed record CaseOutput(IReadOnlyList<int>? TokenIds, IReadOnlyList<string>? Tokens, string Text);

/// <summary>
/// Talks to an OpenAI-compatible server: the model list, and one /v1/completions request per case asking for
/// vLLM's token ids and, for servers without that extension, one logprob per token (which names each token).
/// </summary>
public sealed class CompletionClient(HttpClient http, string baseUrl)
{
    private readonly string _root = baseUrl.TrimEnd('/');

    public static HttpClient CreateHttp(string? apiKey, TimeSpan timeout)
    {
        var http = new HttpClient { Timeout = timeout };
        if (!string.IsNullOrEmpty(apiKey))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return http;
    }

    /// <summary>The first model the server lists, as `sharpserve chat` picks it.</summary>
    public async Task<string> FirstModelAsync(CancellationToken cancellation)
    {
        JsonNode reply = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"{_root}/models"), cancellation);
        return reply["data"]?.AsArray().FirstOrDefault()?["id"]?.GetValue<string>()
            ?? throw new RegressConnectionException($"{_root}/models lists no model; pass --model");
    }

    public async Task<CaseOutput> CompleteAsync(string model, RegressCase item, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(item);
        var body = new JsonObject
        {
            ["model"] = model,
            ["prompt"] = item.Prompt,
            ["max_tokens"] = item.MaxTokens,
            ["temperature"] = item.Sampling.Temperature,
            ["logprobs"] = 1,
            ["return_token_ids"] = true,
        };
        AddIfSet(body, "top_p", item.Sampling.TopP);
        AddIfSet(body, "top_k", item.Sampling.TopK);
        AddIfSet(body, "seed", item.Sampling.Seed);
        if (item.IgnoreEos is { } ignoreEos)
        {
            body["ignore_eos"] = ignoreEos;
        }

        JsonNode reply = await SendAsync(new HttpRequestMessage(HttpMethod.Post, $"{_root}/completions") { Content = JsonContent.Create(body) }, cancellation);
        JsonNode choice = reply["choices"]?.AsArray().FirstOrDefault()
            ?? throw new RegressConnectionException($"{_root}/completions: the reply for case '{item.Id}' has no choices");
        string text = choice["text"]?.GetValue<string>() ?? "";
        int[]? ids = choice["token_ids"] is JsonArray idArray ? [.. idArray.Select(node => node!.GetValue<int>())] : null;
        string[]? tokens = choice["logprobs"]?["tokens"] is JsonArray tokenArray ? [.. tokenArray.Select(node => node!.GetValue<string>())] : null;
        return new CaseOutput(ids, tokens, text);
    }

    private static void AddIfSet<T>(JsonObject body, string name, T? value)
        where T : struct
    {
        if (value is { } set)
        {
            body[name] = JsonValue.Create(set);
        }
    }

    /// <summary>Connection failures and error replies become one clear message; the run cannot go on without the server.</summary>
    private async Task<JsonNode> SendAsync(HttpRequestMessage request, CancellationToken cancellation)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellation);
            }
            catch (HttpRequestException e)
            {
                throw new RegressConnectionException($"cannot reach {request.RequestUri}: {e.Message}");
            }
            catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
            {
                throw new RegressConnectionException($"{request.RequestUri} did not answer within {http.Timeout.TotalSeconds:0} s");
            }

            using (response)
            {
                string text = await response.Content.ReadAsStringAsync(cancellation);
                if (!response.IsSuccessStatusCode)
                {
                    throw new RegressConnectionException($"{request.RequestUri} answered {(int)response.StatusCode}: {Shorten(text)}");
                }

                try
                {
                    return JsonNode.Parse(text) ?? throw new RegressConnectionException($"{request.RequestUri} answered null");
                }
                catch (System.Text.Json.JsonException e)
                {
                    throw new RegressConnectionException($"{request.RequestUri} answered something that is not JSON ({e.Message}): {Shorten(text)}");
                }
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}

/// <summary>The server could not be reached or did not answer as an OpenAI server does.</summary>
public sealed class RegressConnectionException(string message) : Exception(message);
