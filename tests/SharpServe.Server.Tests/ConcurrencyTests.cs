using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>Requests in flight together are batched by the engine and each gets its own answer.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConcurrencyTests(ServerFixture fixture)
{
    [Fact]
    public async Task ConcurrentRequests_GetTheSameAnswersAsAlone()
    {
        string[] prompts = ["The sky is", "Once upon a time", "def main():", "1, 2, 3,"];
        async Task<string> CompleteAsync(string prompt)
        {
            var body = await (await fixture.Server.Client.PostJsonAsync("/v1/completions", new { prompt, max_tokens = 8, temperature = 0, ignore_eos = true })).JsonAsync();
            return body.GetProperty("choices")[0].GetProperty("text").GetString()!;
        }

        var alone = new List<string>();
        foreach (string prompt in prompts)
        {
            alone.Add(await CompleteAsync(prompt));
        }

        string[] together = await Task.WhenAll(prompts.Select(CompleteAsync));

        Assert.Equal(alone, together);
    }
}
