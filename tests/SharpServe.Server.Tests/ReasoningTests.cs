using System.Text.Json;
using SharpServe.Server.Hosting;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>
/// --reasoning-parser deepseek_r1 on the wire. The random model's greedy text has no &lt;/think&gt;, so it checks
/// the "all reasoning, null content" rule (streamed and whole agree); logit_bias forces &lt;/think&gt; tokens to check the split.
/// </summary>
public sealed class ReasoningTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(options: new ServerOptions { ReasoningParser = "deepseek_r1" });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task WithoutEndTag_EverythingIsReasoning_ContentNull_StreamedTheSame()
    {
        var request = new { messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 8, temperature = 0, ignore_eos = true };
        var message = (await (await _server.Client.PostJsonAsync("/v1/chat/completions", request)).JsonAsync()).GetProperty("choices")[0].GetProperty("message");
        string plain = message.GetProperty("reasoning_content").GetString()!;
        Assert.NotEmpty(plain);
        Assert.DoesNotContain("</think>", plain, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        Assert.Equal(plain, message.GetProperty("reasoning").GetString());

        var chunks = await Sse.ReadChunksAsync(await _server.Client.PostJsonAsync("/v1/chat/completions", new { request.messages, request.max_tokens, request.temperature, request.ignore_eos, stream = true }));
        var deltas = chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta")).ToList();
        Assert.Equal(plain, string.Concat(deltas.Select(d => d.TryGetProperty("reasoning_content", out var r) ? r.GetString() : "")));
        Assert.Equal(plain, string.Concat(deltas.Select(d => d.TryGetProperty("reasoning", out var r) ? r.GetString() : "")));
        Assert.All(deltas.Skip(1), d => Assert.False(d.TryGetProperty("content", out _))); // after the role chunk
    }

    [Fact]
    public async Task ForcedEndTags_SplitReasoningFromContent()
    {
        int[] endTag = _server.Tokenizer.Encode("</think>", addSpecialTokens: false);
        Assert.Single(endTag);
        var request = new
        {
            messages = new[] { new { role = "user", content = "Hi" } },
            max_tokens = 3,
            temperature = 0,
            ignore_eos = true,
            logit_bias = new Dictionary<string, float> { [endTag[0].ToString(System.Globalization.CultureInfo.InvariantCulture)] = 100 },
        };

        // "</think></think></think>": nothing before the first tag, the rest is content.
        var message = (await (await _server.Client.PostJsonAsync("/v1/chat/completions", request)).JsonAsync()).GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("", message.GetProperty("reasoning_content").GetString());
        Assert.Equal("</think></think>", message.GetProperty("content").GetString());

        var chunks = await Sse.ReadChunksAsync(await _server.Client.PostJsonAsync("/v1/chat/completions", new { request.messages, request.max_tokens, request.temperature, request.ignore_eos, request.logit_bias, stream = true }));
        var deltas = chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta")).ToList();
        Assert.Equal("</think></think>", string.Concat(deltas.Select(d => d.TryGetProperty("content", out var c) ? c.GetString() : "")));
        Assert.All(deltas, d => Assert.False(d.TryGetProperty("reasoning_content", out _)));
    }

}
