using System.Net;
using System.Net.Http.Headers;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>--api-key guards every inference route; /health and /version stay open for probes.</summary>
[Collection(ServerCollection.Name)]
public sealed class ApiKeyTests(ServerFixture fixture)
{
    public static TheoryData<string, string?> ProtectedRoutes => new()
    {
        { "/v1/models", null },
        { "/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 1}" },
        { "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 1}" },
        { "/tokenize", "{\"prompt\": \"hi\"}" },
        { "/detokenize", "{\"tokens\": [1]}" },
    };

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task MissingOrWrongKey_Is401(string path, string? body)
    {
        foreach (string? header in new[] { null, "Bearer wrong-key", "Bearer test-key-longer", "Basic test-key", TestServer.ApiKey })
        {
            using var http = new HttpClient { BaseAddress = fixture.Server.Url };
            if (header is not null)
            {
                http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
            }

            var response = body is null ? await http.GetAsync(path) : await http.PostRawAsync(path, body);

            await ErrorTests.AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        }
    }

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task RightKey_IsLetThrough(string path, string? body)
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ApiKey);

        var response = body is null ? await http.GetAsync(path) : await http.PostRawAsync(path, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/version")]
    public async Task Probes_NeedNoKey(string path)
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.Url };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(path)).StatusCode);
    }
}
