using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SharpServe.Fleet.Gateway;
using static SharpServe.Fleet.Tests.Gateway.GatewayFixture;

namespace SharpServe.Fleet.Tests.Gateway;

public class GatewaySecurityTests
{
    [Fact]
    public async Task Api_keys_guard_the_api_not_health_and_the_client_key_is_not_forwarded()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var gateway = await GatewayHost.StartAsync(FastOptions with { ApiKeys = ["k1", "k2"], UpstreamApiKey = "instance-key" }, [a.Upstream]);
        using var client = new HttpClient();
        await WaitUntilAsync(async () => (await client.GetAsync(new Uri(gateway.Url, "/health"))).StatusCode == HttpStatusCode.OK, "gateway healthy (/health open)");

        using var none = await ChatAsync(client, gateway, "m");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("\"error\"", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var status = await client.GetAsync(new Uri(gateway.Url, "/fleet/status"));
        Assert.Equal(HttpStatusCode.Unauthorized, status.StatusCode);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k3");
        using var wrong = await ChatAsync(client, gateway, "m");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(0, a.ChatRequests);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k2");
        using var right = await ChatAsync(client, gateway, "m");
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal("Bearer instance-key", a.LastAuthorization);

        string metrics = await new HttpClient().GetStringAsync(new Uri(gateway.Url, "/metrics"));
        Assert.Contains("sharpserve_gateway_rejected_total{reason=\"unauthorized\"} 3", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_upstream_key_no_authorization_reaches_the_instance()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var gateway = await GatewayHost.StartAsync(FastOptions with { ApiKeys = ["k1"] }, [a.Upstream]);
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k1");
        await WaitUntilAsync(async () => (await client.GetAsync(new Uri(gateway.Url, "/health"))).StatusCode == HttpStatusCode.OK, "gateway healthy");
        using var response = await ChatAsync(client, gateway, "m");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", a.LastAuthorization);
    }

    [Fact]
    public async Task Rate_limit_per_key_answers_429_with_retry_after()
    {
        await using var a = await FakeUpstream.StartAsync("a", "m");
        await using var gateway = await GatewayHost.StartAsync(FastOptions with { ApiKeys = ["k1", "k2"], RateLimitPerMinute = 2 }, [a.Upstream]);
        using var k1 = new HttpClient();
        k1.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k1");
        using var k2 = new HttpClient();
        k2.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k2");
        await WaitUntilAsync(async () => (await k1.GetAsync(new Uri(gateway.Url, "/health"))).StatusCode == HttpStatusCode.OK, "gateway healthy");

        for (int i = 0; i < 2; i++)
        {
            using var allowed = await ChatAsync(k1, gateway, "m");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var limited = await ChatAsync(k1, gateway, "m");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.Contains("rate_limit_exceeded", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, a.ChatRequests);

        // Another key has its own allowance.
        using var other = await ChatAsync(k2, gateway, "m");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Serves_https_with_a_pem_certificate_and_key()
    {
        string folder = Directory.CreateTempSubdirectory("sharpserve-gateway-tls").FullName;
        try
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            string certPath = Path.Combine(folder, "cert.pem");
            string keyPath = Path.Combine(folder, "key.pem");
            await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, rsa.ExportPkcs8PrivateKeyPem());

            await using var a = await FakeUpstream.StartAsync("a", "m");
            await using var gateway = await GatewayHost.StartAsync(FastOptions with { TlsCertificatePath = certPath, TlsKeyPath = keyPath }, [a.Upstream]);
            Assert.Equal("https", gateway.Url.Scheme);
            string? seen = null;
            using var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
                {
                    seen = cert?.Thumbprint;
                    return cert?.Thumbprint == certificate.Thumbprint;
                },
            };
            using var client = new HttpClient(handler);
            await WaitUntilAsync(async () => (await client.GetAsync(new Uri(gateway.Url, "/health"))).StatusCode == HttpStatusCode.OK, "gateway healthy over https");
            using var response = await ChatAsync(client, gateway, "m");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(certificate.Thumbprint, seen);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_missing_certificate_file_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => GatewayCertificate.Load("/nonexistent/cert.pem", "/nonexistent/key.pem"));
        Assert.Contains("/nonexistent/cert.pem does not exist", e.Message, StringComparison.Ordinal);
    }
}
